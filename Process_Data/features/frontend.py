"""One front end: waveform or feature matrix -> the frames a model was trained on.

A :class:`Frontend` names everything between audio and the network: the feature type with
its Kaldi options (which fix the sample rate), the energy VAD (on/off and its options) and
the cepstral mean normalisation (CMN). It is written once (by the egs stage from the data
dir's feature options, or by the training config for on-the-fly training), travels in the
experiment's ``config.yaml``, in every checkpoint and in ``final.pt``, and every path that
turns data into model input calls it: egs writing, both on-the-fly loaders, the trainer's
periodic EER, extraction and inference.

CMN modes:

* ``sliding``: Kaldi ``apply-cmvn-sliding --center=true --cmn-window=<cmn_window>`` over the
  whole (voiced) utterance, before chunking.
* ``utterance``: subtract the mean of the whole (voiced) utterance, before chunking.
* ``chunk``: subtract the mean of each training chunk (at test time: of the utterance).
* ``none``.

The order is Kaldi's x-vector recipe: features -> VAD frame selection -> CMN.

Example:
    >>> import numpy as np
    >>> fe = Frontend("fbank", ("--num-mel-bins=40", "--dither=0"), cmn="utterance")
    >>> fe.dim, fe.sample_rate
    (40, 16000)
    >>> feats = fe.from_audio(np.random.default_rng(0).normal(0, 0.1, 8000), 8000)
    >>> feats.shape, bool(abs(feats.mean(axis=0)).max() < 1e-4)
    ((98, 40), True)
    >>> Frontend.from_dict(fe.to_dict()) == fe
    True
    >>> fe.check_matches(Frontend("mfcc", ("--dither=0",)), "data/test")
    Traceback (most recent call last):
    ...
    Process_Data.features.frontend.FrontendError: data/test: front end mismatch: feature is 'mfcc' there but 'fbank' in the model
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from Process_Data.features.cmvn import SlidingCmvnOptions, sliding_cmvn
from Process_Data.features.options import (
    OPTION_CLASSES,
    OptionError,
    fill_options,
    parse_options,
    read_option_lines,
)
from Process_Data.features.vad import VadOptions, compute_vad, select_voiced_frames

CMN_MODES = ("sliding", "utterance", "chunk", "none")
#: short names of the feature step scripts (steps/make_<short>.sh, <data>/conf/<short>.conf)
SHORT_NAMES = {"fbank": "fbank", "mfcc": "mfcc", "plp": "plp", "spectrogram": "spect"}
#: keys of a front-end mapping (config section ``frontend``, ``final.pt['frontend']``)
KEYS = ("feature", "feature_config", "feature_args", "vad", "vad_config", "vad_args", "cmn",
        "cmn_window", "sample_rate", "dim")


class FrontendError(ValueError):
    """An invalid or mismatched front end; the message names the option, file or both values."""


def option_file_args(path) -> List[str]:
    """The ``--name=value`` lines of a Kaldi option file (comments and blanks dropped)."""
    try:
        return [line for _, line in read_option_lines(path)]
    except OSError as e:
        raise FrontendError(f"{path}: cannot read option file: {e}") from None


@dataclass(frozen=True)
class Frontend:
    """Feature type + Kaldi options, energy VAD, CMN (see the module docstring).

    Args:
        feature: ``fbank``, ``mfcc``, ``plp`` or ``spectrogram``; ``""`` for precomputed
            features of unknown origin (a data dir without ``conf/<type>.conf``): such a
            front end prepares feature matrices but cannot make them from audio.
        feature_args: Kaldi ``--name=value`` options of the feature (later ones win); they
            include ``--sample-frequency`` (default 16000).
        vad: select voiced frames with Kaldi's energy VAD on feature column 0 (the feature
            must have an energy/C0 column: MFCC, PLP, spectrogram, or fbank with
            ``--use-energy=true``).
        vad_args: Kaldi ``compute-vad`` options.
        cmn: one of :data:`CMN_MODES`.
        cmn_window: window of ``sliding`` CMN in frames.
    """

    feature: str = "fbank"
    feature_args: Tuple[str, ...] = ()
    vad: bool = False
    vad_args: Tuple[str, ...] = ()
    cmn: str = "none"
    cmn_window: int = 300

    def __post_init__(self) -> None:
        object.__setattr__(self, "feature_args", tuple(str(a) for a in self.feature_args))
        object.__setattr__(self, "vad_args", tuple(str(a) for a in self.vad_args))
        object.__setattr__(self, "vad", _as_bool(self.vad, "frontend.vad"))
        object.__setattr__(self, "cmn_window", int(self.cmn_window))
        if self.feature and self.feature not in OPTION_CLASSES:
            raise FrontendError(f"frontend.feature: unknown '{self.feature}'; valid: "
                                f"{', '.join(sorted(OPTION_CLASSES))}")
        if self.cmn not in CMN_MODES:
            raise FrontendError(f"frontend.cmn: '{self.cmn}' is not one of {', '.join(CMN_MODES)}")
        if self.cmn == "sliding" and self.cmn_window < 1:
            raise FrontendError(f"frontend.cmn_window: must be >= 1 for sliding CMN, got "
                                f"{self.cmn_window}")
        try:
            opts = parse_options(self.feature, self.feature_args) if self.feature else None
            vad_opts = fill_options(VadOptions(), self.vad_args)
            vad_opts.check()
        except OptionError as e:
            raise FrontendError(f"frontend: {e}") from None
        object.__setattr__(self, "_opts", opts)
        object.__setattr__(self, "_vad_opts", vad_opts)
        if self.vad and not self.has_energy_column:
            raise FrontendError(
                f"frontend.vad: the energy VAD reads column 0 as log energy, which "
                f"{self.feature} features do not have (use mfcc, or --use-energy=true)")

    # -- construction ----------------------------------------------------------------
    @classmethod
    def from_config(cls, conf: Mapping[str, Any], where: str = "frontend") -> Frontend:
        """Build from a config mapping (keys :data:`KEYS`; option files are read here).

        ``feature_config``/``vad_config`` name Kaldi option files whose lines go before
        ``feature_args``/``vad_args``; ``sample_rate`` and ``dim``, when present (as in a
        stored front end), must agree with the options.
        """
        unknown = sorted(set(conf) - set(KEYS))
        if unknown:
            raise FrontendError(f"{where}: unknown key '{unknown[0]}'; valid keys: "
                                f"{', '.join(KEYS)}")
        feature_args = list(conf.get("feature_args") or ())
        if conf.get("feature_config"):
            feature_args = option_file_args(conf["feature_config"]) + feature_args
        vad_args = list(conf.get("vad_args") or ())
        if conf.get("vad_config"):
            vad_args = option_file_args(conf["vad_config"]) + vad_args
        fe = cls(
            feature=str(conf.get("feature") or ""),
            feature_args=tuple(feature_args),
            vad=conf.get("vad") or False,
            vad_args=tuple(vad_args),
            cmn=str(conf.get("cmn") or "none"),
            cmn_window=int(conf.get("cmn_window") or 300),
        )
        for key in ("sample_rate", "dim"):
            if conf.get(key) is not None and getattr(fe, key) is not None \
                    and int(conf[key]) != getattr(fe, key):
                raise FrontendError(f"{where}.{key}: {conf[key]} disagrees with the feature "
                                    f"options ({getattr(fe, key)})")
        return fe

    from_dict = from_config

    @classmethod
    def from_data_dir(cls, data_dir, vad: bool = False, cmn: str = "none",
                      cmn_window: int = 300) -> Frontend:
        """The front end of a data dir's features (``<data_dir>/conf/<type>.conf``, written
        by ``steps/make_<type>.sh``) with the given VAD and CMN; VAD options from
        ``<data_dir>/conf/vad.conf`` when present."""
        feature, args = data_dir_features(data_dir)
        vad_conf = Path(data_dir) / "conf" / "vad.conf"
        vad_args = tuple(option_file_args(vad_conf)) if vad and vad_conf.is_file() else ()
        return cls(feature, tuple(args), vad, vad_args, cmn, cmn_window)

    def to_dict(self) -> Dict[str, Any]:
        """A plain mapping (YAML/JSON/torch.save friendly) that :meth:`from_dict` reads back."""
        return {
            "feature": self.feature,
            "feature_args": list(self.feature_args),
            "sample_rate": self.sample_rate,
            "dim": self.dim,
            "vad": self.vad,
            "vad_args": list(self.vad_args),
            "cmn": self.cmn,
            "cmn_window": self.cmn_window,
        }

    # -- properties --------------------------------------------------------------------
    @property
    def options(self) -> Any:
        """The parsed feature options (a dataclass of :mod:`Process_Data.features.options`)."""
        return self._opts

    @property
    def vad_options(self) -> VadOptions:
        """The parsed VAD options."""
        return self._vad_opts

    @property
    def sample_rate(self) -> Optional[int]:
        """Rate the features are computed at (``--sample-frequency``; None: unknown feature)."""
        return int(self._opts.frame.sample_frequency) if self.feature else None

    @property
    def computer(self):
        """The feature computer (built once per front end)."""
        if not self.feature:
            raise FrontendError(
                "this front end does not know how its features were made (the data dir had no "
                "conf/<type>.conf); it can only prepare precomputed features")
        comp = self.__dict__.get("_computer")
        if comp is None:
            from Process_Data.features import FEATURES  # torch: only when features are computed

            comp = FEATURES.get(self.feature)(parse_options(self.feature, self.feature_args))
            object.__setattr__(self, "_computer", comp)
        return comp

    @property
    def dim(self) -> Optional[int]:
        """Feature dimension (columns of every matrix this front end makes; None: unknown)."""
        return int(self.computer.dim) if self.feature else None

    @property
    def has_energy_column(self) -> bool:
        """Column 0 is a log energy / C0 (what the energy VAD reads)."""
        if self.feature in ("spectrogram", ""):
            return True
        return bool(getattr(self._opts, "use_energy", False)) or self.feature == "mfcc"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Frontend) and not self.differences(other)

    def __hash__(self) -> int:
        return hash((self.feature, self.vad, self.cmn, self.cmn_window))

    # -- comparison --------------------------------------------------------------------
    def differences(self, other: Frontend) -> List[Tuple[str, Any, Any]]:
        """``(what, other's value, self's value)`` for every setting that differs."""
        out = []
        if self.feature != other.feature:
            return [("feature", other.feature or "(unknown)", self.feature or "(unknown)")]
        mine = dataclasses.asdict(self._opts) if self.feature else {}
        theirs = dataclasses.asdict(other._opts) if other.feature else {}
        for key, value in _flatten(mine).items():
            if _flatten(theirs).get(key) != value:
                name = "num-mel-bins" if key == "num_bins" else key.replace("_", "-")
                out.append((f"--{name}", _flatten(theirs).get(key), value))
        for key in ("vad", "cmn"):
            if getattr(self, key) != getattr(other, key):
                out.append((key, getattr(other, key), getattr(self, key)))
        if self.cmn == other.cmn == "sliding" and self.cmn_window != other.cmn_window:
            out.append(("cmn_window", other.cmn_window, self.cmn_window))
        if self.vad and other.vad and self._vad_opts != other._vad_opts:
            out.append(("vad options", other.vad_args, self.vad_args))
        return out

    def check_matches(self, other: Frontend, where: str, mine: str = "the model") -> None:
        """Raise :class:`FrontendError` naming ``where`` and both values when ``other`` differs."""
        diff = self.differences(other)
        if diff:
            parts = "; ".join(f"{what} is {theirs!r} there but {ours!r} in {mine}"
                              for what, theirs, ours in diff)
            raise FrontendError(f"{where}: front end mismatch: {parts}")

    def check_feature_dir(self, data_dir) -> None:
        """Raise when ``data_dir``'s features (``conf/<type>.conf``) are not this front end's."""
        feature, args = data_dir_features(data_dir)
        theirs = Frontend(feature, tuple(args), self.vad, self.vad_args, self.cmn, self.cmn_window)
        self.check_matches(theirs, f"{data_dir}/conf")

    # -- processing --------------------------------------------------------------------
    def prepare_utterance(self, feats: np.ndarray, vad: Optional[np.ndarray] = None,
                          utt: str = "") -> np.ndarray:
        """VAD selection and utterance-level CMN (``sliding``/``utterance``) of a feature
        matrix, before any chunking. ``vad`` is required when the front end uses VAD."""
        x = np.asarray(feats, dtype=np.float32)
        if x.ndim != 2 or (self.feature and x.shape[1] != self.dim):
            raise FrontendError(
                f"{utt or 'features'}: expected [frames, {self.dim}] {self.feature} features, "
                f"got shape {tuple(x.shape)}")
        if self.vad:
            if vad is None:
                raise FrontendError(f"{utt or 'features'}: the front end uses VAD but no VAD "
                                    "decision was given (vad.scp)")
            try:
                x = select_voiced_frames(x, np.asarray(vad))
            except ValueError as e:
                raise FrontendError(f"{utt}: {e}") from None
        if self.cmn == "sliding":
            opts = SlidingCmvnOptions(cmn_window=self.cmn_window,
                                      min_cmn_window=min(100, self.cmn_window), center=True)
            x = sliding_cmvn(x, opts)
        elif self.cmn == "utterance" and len(x):
            x = (x - x.mean(axis=0, keepdims=True, dtype=np.float64)).astype(np.float32)
        return x

    def finish_chunk(self, chunk: np.ndarray) -> np.ndarray:
        """Chunk-level CMN (``cmn: chunk``) of a piece cut from a prepared utterance."""
        if self.cmn != "chunk" or not len(chunk):
            return chunk
        return (chunk - chunk.mean(axis=0, keepdims=True, dtype=np.float64)).astype(np.float32)

    def from_feats(self, feats: np.ndarray, vad: Optional[np.ndarray] = None,
                   utt: str = "") -> np.ndarray:
        """Model input of one whole utterance from its feature matrix (and VAD decision)."""
        return self.finish_chunk(self.prepare_utterance(feats, vad, utt))

    def features(self, wave: np.ndarray, rate: int, seed: Optional[int] = None) -> np.ndarray:
        """Raw features of a waveform: down-mixed ``[samples]`` or ``[samples, channels]``
        audio in [-1, 1] at ``rate`` Hz, resampled to :attr:`sample_rate`. ``seed`` is the
        dither seed (``compute_feats`` uses one per utterance id; None: ``--dither-seed``)."""
        from Process_Data.audio import resample

        x = np.asarray(wave, dtype=np.float32)
        if x.ndim == 2:
            x = x.mean(axis=1)  # [samples, channels] as soundfile reads it
        elif x.ndim != 1:
            raise FrontendError(f"expected [samples] or [samples, channels] audio, got "
                                f"shape {tuple(x.shape)}")
        x = resample(x, int(rate), self.sample_rate)
        return self.computer.compute(x, self.sample_rate, seed=seed)

    def vad_of(self, feats: np.ndarray) -> np.ndarray:
        """Kaldi energy-VAD decision (1/0 per frame) of raw features of this front end."""
        return compute_vad(feats, self._vad_opts)

    def from_audio(self, wave: np.ndarray, rate: int, seed: Optional[int] = None) -> np.ndarray:
        """Model input of one utterance from audio: features, VAD, CMN (see :meth:`features`).

        An utterance with no voiced frame keeps all frames rather than becoming empty.
        """
        feats = self.features(wave, rate, seed)
        vad = None
        if self.vad:
            vad = self.vad_of(feats)
            if not vad.any():
                vad = np.ones_like(vad)
        return self.from_feats(feats, vad)


def data_dir_features(data_dir) -> Tuple[str, List[str]]:
    """(feature type, Kaldi option lines) of a data dir's ``feats.scp``, from the option file
    ``steps/make_<type>.sh`` copies to ``<data_dir>/conf/<short>.conf``.

    When several option files are there, the archive names in ``feats.scp``
    (``raw_<short>_<set>.N.ark``) decide.
    """
    conf = Path(data_dir) / "conf"
    found = {kind: conf / f"{short}.conf" for kind, short in SHORT_NAMES.items()
             if (conf / f"{short}.conf").is_file()}
    if len(found) > 1:
        scp = Path(data_dir) / "feats.scp"
        first = scp.open().readline() if scp.is_file() else ""
        found = {k: p for k, p in found.items() if f"raw_{SHORT_NAMES[k]}_" in first} or found
    if len(found) != 1:
        what = "no" if not found else "more than one"
        raise FrontendError(
            f"{conf}: {what} feature option file ({', '.join(s + '.conf' for s in SHORT_NAMES.values())}); "
            "the feature step (steps/make_<type>.sh) writes it")
    (kind, path), = found.items()
    return kind, option_file_args(path)


def _flatten(d: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.update(_flatten(v, ""))
        else:
            out[prefix + k] = v
    return out


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise FrontendError(f"{name}: expected true or false, got {value!r}")


def frontend_of(conf: Optional[Mapping[str, Any]]) -> Optional[Frontend]:
    """``Frontend.from_dict(conf)``, or None for a missing/empty mapping (old models)."""
    return Frontend.from_dict(conf) if conf else None


__all__: Sequence[str] = ["CMN_MODES", "Frontend", "FrontendError", "data_dir_features",
                          "frontend_of", "option_file_args"]
