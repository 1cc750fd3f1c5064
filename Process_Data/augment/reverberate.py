"""Reverberation by convolution with a room impulse response (RIR), aligned on the direct path.

Exactly what ``reverberate(x, rir)`` computes (Kaldi's ``wav-reverberate`` with
``--shift-output=true --normalize-output=true``):

1. ``d = argmax_k |rir[k]|``, the direct-path (peak) delay of the RIR in samples;
2. ``full = convolve(x, rir)`` (full linear convolution, length ``len(x) + len(rir) - 1``,
   computed with FFTs);
3. ``y[n] = full[n + d]`` for ``n = 0 .. len(x) - 1``, i.e. the output is not delayed by the
   RIR's propagation time and has the input's length (the reverberant tail past the end is
   dropped);
4. with ``normalize=True`` (default) ``y`` is scaled so that ``power(y) == power(x)``.

RIR lists are Kaldi's ``rir_list`` files: one ``--rir-id ID --room-id ROOM path`` per line.
A relative path in a list resolves against the current directory if it exists there, else
against the RIRS_NOISES root found above the list (the first path component names the root
directory, e.g. ``RIRS_NOISES/simulated_rirs/...`` next to a list in
``<root>/simulated_rirs/smallroom/rir_list``), so a copy named ``RIRS_NOISES_mini`` works.

Example:
    >>> import numpy as np
    >>> x = np.array([1., 2., 3., 0.], dtype=np.float32)
    >>> reverberate(x, np.array([0., 1., 0.5]), normalize=False)
    array([1. , 2.5, 4. , 1.5], dtype=float32)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError


def reverberate(x: np.ndarray, rir: np.ndarray, normalize: bool = True) -> np.ndarray:
    """Convolve ``x`` with ``rir``, direct-path aligned and cut to ``len(x)`` (module docstring).

    Args:
        x: 1-D samples.
        rir: 1-D impulse response (not all zero).
        normalize: scale the output to the input's power.

    Returns:
        float32 array of ``len(x)`` samples.
    """
    from scipy.signal import fftconvolve

    rir = np.asarray(rir, dtype=np.float64)
    if rir.ndim != 1 or not np.any(rir):
        raise AugmentationError("reverberate: the RIR must be a non-zero 1-D signal")
    x64 = np.asarray(x, dtype=np.float64)
    if len(x64) == 0:
        return np.zeros(0, np.float32)
    d = int(np.argmax(np.abs(rir)))
    full = fftconvolve(x64, rir)
    y = full[d : d + len(x64)]
    if normalize:
        p_out = float(np.mean(y * y))
        if p_out > 0:
            y = y * np.sqrt(float(np.mean(x64 * x64)) / p_out)
    return y.astype(np.float32)


def _resolve(entry: str, list_path: Path) -> Optional[Path]:
    p = Path(entry)
    if p.is_absolute():
        return p if p.exists() else None
    if p.exists():
        return p.resolve()
    rest = Path(*p.parts[1:]) if len(p.parts) > 1 else p
    for root in [list_path.parent, *list_path.parent.parents]:
        if (root / rest).exists():
            return root / rest
    return None


def read_rir_list(path: Union[str, os.PathLike]) -> List[Tuple[str, str, str]]:
    """Read a Kaldi ``rir_list``: ``[(rir_id, room_id, resolved path), ...]``.

    Raises:
        AugmentationError: ``path:line`` for a malformed line or a missing RIR file, or an
        empty list.
    """
    path = Path(path)
    if not path.is_file():
        raise AugmentationError(f"{path}: RIR list not found")
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            tokens = line.split()
            if not tokens:
                continue
            opts, i = {}, 0
            while i < len(tokens) - 1 and tokens[i].startswith("--"):
                opts[tokens[i][2:]] = tokens[i + 1]
                i += 2
            if i != len(tokens) - 1 or "rir-id" not in opts:
                raise AugmentationError(
                    f"{path}:{lineno}: expected '--rir-id ID [--room-id ROOM] path', got '{line.strip()}'"
                )
            found = _resolve(tokens[-1], path)
            if found is None:
                raise AugmentationError(f"{path}:{lineno}: RIR file not found: {tokens[-1]}")
            out.append((opts["rir-id"], opts.get("room-id", opts["rir-id"]), str(found)))
    if not out:
        raise AugmentationError(f"{path}: RIR list is empty")
    return out


def parse_rir_set_parameters(specs: Union[str, Sequence[str]]) -> List[Tuple[float, str]]:
    """Parse Kaldi ``--rir-set-parameters`` values: ``"0.5, path/rir_list"`` (several separated
    by ``;`` or given as a list) -> ``[(weight, list_path), ...]``.

    Raises:
        AugmentationError: naming the option for a value that does not parse.

    Example:
        >>> parse_rir_set_parameters("0.5, a/rir_list; 0.5, b/rir_list")
        [(0.5, 'a/rir_list'), (0.5, 'b/rir_list')]
    """
    if isinstance(specs, str):
        specs = [s for s in specs.split(";") if s.strip()]
    out = []
    for spec in specs:
        fields = [f.strip() for f in spec.split(",")]
        try:
            if len(fields) != 2 or not fields[1]:
                raise ValueError
            weight = float(fields[0])
        except ValueError:
            raise AugmentationError(
                f"--rir-set-parameters: cannot parse '{spec}' (expected '<weight>, <rir_list>')"
            ) from None
        if weight <= 0:
            raise AugmentationError(f"--rir-set-parameters: weight must be > 0 in '{spec}'")
        out.append((weight, fields[1]))
    if not out:
        raise AugmentationError("--rir-set-parameters: no RIR set given")
    return out


class RirSets:
    """RIR sets with weights: pick a set by weight, then one of its RIRs uniformly.

    Args:
        specs: ``--rir-set-parameters`` value(s), see ``parse_rir_set_parameters``.
    """

    def __init__(self, specs: Union[str, Sequence[str]]):
        self.sets = [(w, read_rir_list(p)) for w, p in parse_rir_set_parameters(specs)]
        total = sum(w for w, _ in self.sets)
        self.weights = np.array([w / total for w, _ in self.sets])

    def choose(self, rng: np.random.Generator) -> Tuple[str, str, str]:
        """One ``(rir_id, room_id, path)``."""
        s = self.sets[int(rng.choice(len(self.sets), p=self.weights))][1]
        return s[int(rng.integers(len(s)))]


def read_rir(path: str, sample_rate: int) -> np.ndarray:
    """An RIR file as float32 at ``sample_rate`` (first channel)."""
    from Process_Data.audio import read_audio

    return read_audio(path, sample_rate)[0]


@AUGMENTATIONS.register("reverberate")
class Reverberate(Augmentation):
    """Online reverberation with a random RIR from weighted RIR sets.

    Args:
        rir_set_parameters: ``"0.5, <root>/simulated_rirs/smallroom/rir_list; 0.5, ..."``.
        normalize: keep the input power.
        sample_rate: rate of signals and RIRs.
    """

    def __init__(
        self,
        rir_set_parameters: Union[str, Sequence[str]],
        normalize: bool = True,
        sample_rate: int = 16000,
    ):
        self.sets = RirSets(rir_set_parameters)
        self.normalize = normalize
        self.sample_rate = sample_rate
        self._cache: dict = {}

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return ``x`` convolved with a randomly chosen RIR."""
        _, _, path = self.sets.choose(rng)
        if path not in self._cache:
            self._cache[path] = read_rir(path, self.sample_rate)
        return reverberate(x, self._cache[path], self.normalize)
