"""A chain of augmentation stages built from a YAML config, each applied with a probability.

Config (YAML or a dict); unknown keys are errors::

    sample_rate: 16000
    stages:
      - name: speed_perturb            # registry name (see AUGMENTATIONS.names())
        prob: 1.0
        args: {factors: [0.9, 1.0, 1.1], as_new_speakers: true}
      - name: reverberate
        prob: 0.3
        args: {rir_set_parameters: "1.0, RIRS_NOISES/simulated_rirs/smallroom/rir_list"}
      - one_of:                        # pick one of these uniformly (Kaldi: noise|music|babble)
          - {name: add_noise, args: {noises: data/musan_noise, mode: foreground, snrs: [0, 15]}}
          - {name: add_noise, args: {noises: data/musan_music, mode: background, snrs: [5, 15]}}
        prob: 0.6
      - name: spec_augment
        prob: 0.5
        args: {num_time_masks: 1, max_time_width: 10}

Wave stages run in config order before feature extraction (``apply_wave``), feature stages
after it (``apply_feats``). ``sample_rate`` is passed to every wave stage that takes one.
Each stage draws its coin and its randomness from the one ``rng``, in config order, so a seed
fixes the whole chain's output.

Example:
    >>> import numpy as np
    >>> chain = Chain.from_config({"stages": [{"name": "speed_perturb", "prob": 1.0,
    ...                                        "args": {"factors": [2.0]}}]})
    >>> y, k = chain.apply_wave(np.zeros(100, np.float32), np.random.default_rng(0))
    >>> y.shape, k
    ((50,), 0)
"""

from __future__ import annotations

import inspect
import os
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

import Process_Data.augment  # noqa: F401  (registers every stage)
from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError
from Process_Data.augment.speed_perturb import SpeedPerturb

_STAGE_KEYS = {"name", "args", "prob"}
_GROUP_KEYS = {"one_of", "prob"}


def _build_stage(cfg: Mapping, where: str, sample_rate: int) -> Augmentation:
    if not isinstance(cfg, Mapping) or "name" not in cfg:
        raise AugmentationError(f"{where}: a stage needs 'name' (valid: {', '.join(AUGMENTATIONS.names())})")
    unknown = set(cfg) - _STAGE_KEYS
    if unknown:
        raise AugmentationError(f"{where}: unknown key(s) {sorted(unknown)} (valid: {sorted(_STAGE_KEYS)})")
    try:
        cls = AUGMENTATIONS.get(cfg["name"])
    except KeyError as e:
        raise AugmentationError(f"{where}: {e.args[0]}") from None
    args = dict(cfg.get("args") or {})
    params = inspect.signature(cls.__init__).parameters
    bad = [k for k in args if k not in params]
    if bad:
        valid = [p for p in params if p != "self"]
        raise AugmentationError(f"{where}: {cfg['name']}: unknown argument(s) {bad} (valid: {valid})")
    if "sample_rate" in params and "sample_rate" not in args:
        args["sample_rate"] = sample_rate
    try:
        return cls(**args)
    except TypeError as e:
        raise AugmentationError(f"{where}: {cfg['name']}: {e}") from None


def _prob(cfg: Mapping, where: str) -> float:
    p = cfg.get("prob", 1.0)
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise AugmentationError(f"{where}: prob must be a number, got {p!r}") from None
    if not 0.0 <= p <= 1.0:
        raise AugmentationError(f"{where}: prob must be in [0, 1], got {p}")
    return p


class Chain:
    """Stages applied in order, each with its probability.

    Args:
        stages: ``(prob, [stage, ...])`` pairs; a list of several stages means "one of them,
            chosen uniformly".
        sample_rate: rate of the waveforms.
    """

    def __init__(self, stages: Sequence[Tuple[float, List[Augmentation]]], sample_rate: int = 16000):
        self.stages = [(float(p), list(group)) for p, group in stages]
        self.sample_rate = sample_rate
        speeds = [s for _, g in self.stages for s in g if isinstance(s, SpeedPerturb)]
        if len(speeds) > 1:
            raise AugmentationError("chain: at most one speed_perturb stage")
        self.speed: Optional[SpeedPerturb] = speeds[0] if speeds else None

    @classmethod
    def from_config(cls, cfg: Union[None, Mapping[str, Any]]) -> Chain:
        """Build from a dict (see the module docstring); ``None`` or ``{}`` is the empty chain."""
        cfg = dict(cfg or {})
        unknown = set(cfg) - {"sample_rate", "stages"}
        if unknown:
            raise AugmentationError(f"augmentation config: unknown key(s) {sorted(unknown)} (valid: sample_rate, stages)")
        sr = int(cfg.get("sample_rate", 16000))
        out = []
        for i, st in enumerate(cfg.get("stages") or []):
            where = f"stages[{i}]"
            if isinstance(st, Mapping) and "one_of" in st:
                unknown = set(st) - _GROUP_KEYS
                if unknown:
                    raise AugmentationError(f"{where}: unknown key(s) {sorted(unknown)} (valid: {sorted(_GROUP_KEYS)})")
                group = [
                    _build_stage(s, f"{where}.one_of[{j}]", sr) for j, s in enumerate(st["one_of"])
                ]
                if not group:
                    raise AugmentationError(f"{where}: one_of is empty")
                out.append((_prob(st, where), group))
            else:
                out.append((_prob(st, where), [_build_stage(st, where, sr)]))
        return cls(out, sr)

    @classmethod
    def from_yaml(cls, path: Union[str, os.PathLike]) -> Chain:
        """Build from a YAML file (errors name the file)."""
        import yaml

        with open(path, encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
        try:
            return cls.from_config(cfg)
        except AugmentationError as e:
            raise AugmentationError(f"{path}: {e}") from None

    @property
    def speed_factors(self) -> List[float]:
        """The speed factors (``[1.0]`` without speed perturbation)."""
        return self.speed.factors if self.speed else [1.0]

    def num_classes(self, num_speakers: int) -> int:
        """Label count: ``num_speakers`` times the factors when speeds are new speakers."""
        if self.speed and self.speed.as_new_speakers:
            return num_speakers * len(self.speed.factors)
        return num_speakers

    def _pick(self, group: List[Augmentation], rng: np.random.Generator) -> Augmentation:
        return group[int(rng.integers(len(group)))] if len(group) > 1 else group[0]

    def apply_wave(self, x: np.ndarray, rng: np.random.Generator) -> Tuple[np.ndarray, int]:
        """Run the wave stages; return ``(samples, speed factor index)`` (index of 1.0 or 0)."""
        k = self.speed_factors.index(1.0) if 1.0 in self.speed_factors else 0
        for p, group in self.stages:
            if group[0].domain != "wave":
                continue
            coin = rng.random()
            stage = self._pick(group, rng)
            if coin >= p:
                continue
            if isinstance(stage, SpeedPerturb):
                x, k = stage.apply(x, stage.sample(rng))
            else:
                x = stage(x, rng)
        return x, k

    def apply_feats(self, feats: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Run the feature stages on a ``[frames, dim]`` matrix."""
        for p, group in self.stages:
            if group[0].domain != "feats":
                continue
            coin = rng.random()
            stage = self._pick(group, rng)
            if coin < p:
                feats = stage(feats, rng)
        return feats

    def __len__(self) -> int:
        return len(self.stages)
