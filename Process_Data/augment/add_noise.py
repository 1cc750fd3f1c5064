"""Additive noise at a given SNR: foreground noises at intervals, background noises throughout.

This follows Kaldi's ``steps/data/augment_data_dir.py`` (voxceleb v2):

* **foreground** (MUSAN noise): starting at 0 s, one noise after another, each at its own
  SNR drawn from the choices, separated by ``interval`` seconds of no added noise, until the
  utterance ends (the last noise is cut at the end);
* **background** (MUSAN music; babble = several MUSAN speech files): ``num_noises`` noises,
  each tiled (repeated) to the utterance length from a random offset and added throughout,
  each at its own SNR.

SNR convention (the one Kaldi's ``wav-reverberate`` uses): the reference power is the mean
power of the whole clean utterance; each noise is scaled so that
``10 log10(P_clean / P_noise) = snr`` where ``P_noise`` is the mean power of the noise
samples actually added (its part inside the utterance). So ``10 log10(P_clean / P(y - x))``
measured over a background noise's span equals the requested SNR exactly (for one noise).
A silent noise (power 0) adds nothing.

SNR choices are written as Kaldi writes them, colon-separated values to pick from uniformly
(``"15:10:5:0"``), or in YAML as ``[low, high]`` for a uniform range.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(np.arange(16000) / 5).astype(np.float32)
    >>> n = rng.standard_normal(4000).astype(np.float32)
    >>> y = mix(x, [(0, tile(n, len(x), 0), 10.0)])
    >>> round(snr_db(x, y - x), 3)
    10.0
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError

SnrSpec = Union[str, Sequence[float]]


def parse_choices(text: str, option: str = "snrs", cast=float) -> List:
    """Parse Kaldi's colon-separated choices (``"15:10:5:0"``, ``"3:4:5:6:7"``).

    Raises:
        AugmentationError: naming ``option`` when a field is not a number or the list is empty.

    Example:
        >>> parse_choices("15:10:5:0")
        [15.0, 10.0, 5.0, 0.0]
    """
    fields = [f.strip() for f in str(text).split(":")]
    if not fields or any(not f for f in fields):
        raise AugmentationError(f"--{option}: cannot parse '{text}' (expected e.g. 15:10:5:0)")
    try:
        return [cast(f) for f in fields]
    except ValueError:
        raise AugmentationError(
            f"--{option}: cannot parse '{text}' (expected colon-separated numbers, e.g. 15:10:5:0)"
        ) from None


def check_snr_spec(spec: SnrSpec, option: str = "snrs") -> SnrSpec:
    """Validate an SNR spec: a Kaldi choice string or a ``[low, high]`` range; return it."""
    if isinstance(spec, str):
        parse_choices(spec, option)
        return spec
    try:
        lo, hi = (float(v) for v in spec)
    except (TypeError, ValueError):
        raise AugmentationError(
            f"{option}: expected 'a:b:c' choices or [low, high], got {spec!r}"
        ) from None
    if lo > hi:
        raise AugmentationError(f"{option}: low {lo} > high {hi}")
    return [lo, hi]


def draw_snr(spec: SnrSpec, rng: np.random.Generator) -> float:
    """One SNR from a spec: a uniform choice among Kaldi values, or uniform in ``[low, high]``."""
    if isinstance(spec, str):
        choices = parse_choices(spec)
        return float(choices[rng.integers(len(choices))])
    lo, hi = spec
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


def power(x: np.ndarray) -> float:
    """Mean power ``mean(x**2)`` in float64 (0 for an empty array)."""
    return float(np.mean(np.square(x, dtype=np.float64))) if len(x) else 0.0


def snr_db(signal: np.ndarray, noise: np.ndarray) -> float:
    """``10 log10(power(signal) / power(noise))``."""
    return float(10.0 * np.log10(power(signal) / power(noise)))


def tile(noise: np.ndarray, length: int, offset: int) -> np.ndarray:
    """``length`` samples of ``noise`` repeated end to end, starting at sample ``offset``.

    Example:
        >>> tile(np.array([1., 2., 3.]), 5, 1)
        array([2., 3., 1., 2., 3.])
    """
    if len(noise) == 0:
        raise AugmentationError("cannot tile an empty noise")
    reps = (offset + length) // len(noise) + 1
    return np.tile(noise, reps)[offset : offset + length]


def mix(
    signal: np.ndarray,
    events: Sequence[Tuple[int, np.ndarray, float]],
    ref_power: Optional[float] = None,
) -> np.ndarray:
    """Add noises to a copy of ``signal``.

    Args:
        signal: clean samples.
        events: ``(start_sample, noise_samples, snr_db)``; each noise is cut at the signal's end
            and scaled to ``snr_db`` against ``ref_power`` over its added part.
        ref_power: reference power (default: ``power(signal)``).

    Returns:
        float32 array, same length as ``signal``.
    """
    out = np.array(signal, dtype=np.float64)
    ref = power(signal) if ref_power is None else ref_power
    for start, noise, snr in events:
        if start >= len(out):
            continue
        part = np.asarray(noise[: len(out) - start], dtype=np.float64)
        p = power(part)
        if p <= 0.0 or ref <= 0.0:
            continue
        out[start : start + len(part)] += part * np.sqrt(ref / (p * 10.0 ** (snr / 10.0)))
    return out.astype(np.float32)


def plan_foreground(
    num_samples: int,
    noise_lengths: Sequence[int],
    snrs: SnrSpec,
    interval: int,
    rng: np.random.Generator,
) -> List[Tuple[int, int, float]]:
    """Kaldi's foreground layout: ``(start_sample, noise_index, snr)`` until the utterance ends.

    Example:
        >>> plan_foreground(100, [30], "5", 10, np.random.default_rng(0))
        [(0, 0, 5.0), (40, 0, 5.0), (80, 0, 5.0)]
    """
    events, t = [], 0
    while t < num_samples:
        idx = int(rng.integers(len(noise_lengths)))
        events.append((t, idx, draw_snr(snrs, rng)))
        t += max(int(noise_lengths[idx]), 1) + interval
    return events


def plan_background(
    num_noises: Union[str, Sequence[int]],
    pool_size: int,
    snrs: SnrSpec,
    rng: np.random.Generator,
) -> List[Tuple[int, float]]:
    """Kaldi's background layout: ``(noise_index, snr)`` for each of ``num_noises`` noises.

    ``num_noises`` is a choice string (``"3:4:5:6:7"``) or ``[low, high]`` inclusive.
    """
    if isinstance(num_noises, str):
        choices = parse_choices(num_noises, "num-bg-noises", int)
        n = int(choices[rng.integers(len(choices))])
    else:
        lo, hi = (int(v) for v in num_noises)
        n = int(rng.integers(lo, hi + 1))
    return [(int(rng.integers(pool_size)), draw_snr(snrs, rng)) for _ in range(n)]


class NoisePool:
    """Noise recordings by id, read on first use and kept (up to ``cache_size`` of them).

    Args:
        noises: a Kaldi data dir (its ``wav.scp``), a ``wav.scp`` file, a dict id -> entry,
            or a list of paths.
        sample_rate: rate the noises are resampled to.
        cache_size: how many decoded noises to keep in memory.

    Raises:
        AugmentationError: the pool is empty or names a missing file (file and line).
    """

    def __init__(self, noises, sample_rate: int = 16000, cache_size: int = 256):
        from Process_Data.data_dir import read_kv

        if isinstance(noises, Mapping):
            entries = OrderedDict(noises)
        elif isinstance(noises, (list, tuple)):
            entries = OrderedDict((os.path.splitext(os.path.basename(p))[0], p) for p in noises)
        else:
            path = os.fspath(noises)
            scp = os.path.join(path, "wav.scp") if os.path.isdir(path) else path
            if not os.path.isfile(scp):
                raise AugmentationError(f"{scp}: missing (noise dirs need wav.scp)")
            entries = read_kv(scp)
            for lineno, (key, entry) in enumerate(entries.items(), 1):
                if not entry.endswith("|") and not os.path.exists(entry):
                    raise AugmentationError(f"{scp}:{lineno}: audio of '{key}' not found: {entry}")
        if not entries:
            raise AugmentationError(f"noise list {noises!r} has no audio")
        self.ids = list(entries)
        self.entries = entries
        self.sample_rate = sample_rate
        self.cache_size = cache_size
        self._cache: OrderedDict = OrderedDict()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> np.ndarray:
        from Process_Data.audio import read_audio

        key = self.ids[index]
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        wav, _ = read_audio(self.entries[key], self.sample_rate)
        if len(wav) == 0:
            raise AugmentationError(f"noise '{key}' ({self.entries[key]}) has no samples")
        self._cache[key] = wav
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return wav


@AUGMENTATIONS.register("add_noise")
class AddNoise(Augmentation):
    """Online additive noise (see the module docstring for the layout and the SNR rule).

    Args:
        noises: noise pool (see ``NoisePool``).
        mode: ``"foreground"`` (noises one after another with gaps), ``"background"``, or
            ``"babble"`` (background with ``num_noises`` 3-7 unless given).
        snrs: ``"15:10:5:0"`` choices or ``[low, high]``.
        num_noises: background only: ``"3:4:5:6:7"`` or ``[low, high]`` (babble: 3-7).
        interval: foreground only: seconds between noises.
        sample_rate: rate of the signals.

    Example:
        >>> import numpy as np, soundfile as sf, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "n.wav")
        >>> sf.write(p, np.random.default_rng(0).uniform(-.1, .1, 800).astype("float32"), 16000)
        >>> aug = AddNoise([p], mode="background", snrs=[5, 5])
        >>> x = np.sin(np.arange(1600) / 3).astype(np.float32)
        >>> round(snr_db(x, aug(x, np.random.default_rng(1)) - x), 2)
        5.0
    """

    def __init__(
        self,
        noises,
        mode: str = "foreground",
        snrs: SnrSpec = "15:10:5:0",
        num_noises: Union[None, str, Sequence[int]] = None,
        interval: float = 1.0,
        sample_rate: int = 16000,
    ):
        if mode not in ("foreground", "background", "babble"):
            raise AugmentationError(
                f"add_noise: mode must be foreground, background or babble, got {mode!r}"
            )
        if num_noises is None:
            num_noises = "3:4:5:6:7" if mode == "babble" else "1"
        self.mode = "background" if mode == "babble" else mode
        self.snrs = check_snr_spec(snrs)
        if isinstance(num_noises, str):
            parse_choices(num_noises, "num_noises", int)
        self.num_noises = num_noises
        self.interval = int(round(float(interval) * sample_rate))
        self.pool = NoisePool(noises, sample_rate)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return ``x`` with noise added."""
        if self.mode == "foreground":
            lengths = _LazyLengths(self.pool)
            plan = plan_foreground(len(x), lengths, self.snrs, self.interval, rng)
            events = [(t, self.pool[i], snr) for t, i, snr in plan]
        else:
            events = []
            for i, snr in plan_background(self.num_noises, len(self.pool), self.snrs, rng):
                noise = self.pool[i]
                events.append((0, tile(noise, len(x), int(rng.integers(len(noise)))), snr))
        return mix(x, events)


class _LazyLengths:
    """Noise lengths read on demand (only the chosen noises are decoded)."""

    def __init__(self, pool: NoisePool):
        self.pool = pool

    def __len__(self) -> int:
        return len(self.pool)

    def __getitem__(self, i: int) -> int:
        return len(self.pool[i])
