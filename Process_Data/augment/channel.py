"""Channel augmentation: telephone band and G.711 mu-law, random gain and device-like EQ.

* ``telephone``: the waveform goes through a narrowband round trip, resampled (polyphase,
  scipy) from ``sample_rate`` to ``narrow_rate`` (8 kHz) and back, so everything above
  ``narrow_rate / 2`` is gone, and with probability ``mulaw_prob`` it is G.711 mu-law
  companded to 8 bits on the way (the quantisation noise of a real telephone codec);
* ``device``: a random gain in ``gain_db`` and a random device-like EQ: a first-order
  high-pass (small loudspeakers/microphones lose the low end) with a corner drawn from
  ``highpass_hz`` and a gentle peaking band with a gain drawn from ``peak_db`` at a random
  centre frequency.

Both are wave stages of the online chain (``Chain``) and of offline copies.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(2 * np.pi * 6000 * np.arange(16000) / 16000).astype(np.float32) * 0.5
    >>> y = Telephone(mulaw_prob=0.0)(x, rng)
    >>> y.shape, bool(np.abs(y[200:-200]).max() < 0.01)  # a 6 kHz tone does not pass
    ((16000,), True)
    >>> mulaw_decode(mulaw_encode(np.array([0.0, 0.5, -1.0]))).round(2)
    array([ 0. ,  0.5, -1. ], dtype=float32)
"""

from __future__ import annotations

from math import gcd
from typing import Sequence

import numpy as np

from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError

MU = 255.0


def mulaw_encode(x: np.ndarray) -> np.ndarray:
    """G.711 mu-law code (0..255) of samples in [-1, 1] (clipped)."""
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    y = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)
    return np.round((y + 1.0) / 2.0 * MU).astype(np.uint8)


def mulaw_decode(code: np.ndarray) -> np.ndarray:
    """Samples in [-1, 1] of mu-law codes (inverse of :func:`mulaw_encode` up to quantisation)."""
    y = 2.0 * np.asarray(code, dtype=np.float64) / MU - 1.0
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(MU)) / MU).astype(np.float32)


def _resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = gcd(int(src), int(dst))
    return resample_poly(x, int(dst) // g, int(src) // g).astype(np.float32)


@AUGMENTATIONS.register("telephone")
class Telephone(Augmentation):
    """Narrowband round trip (``sample_rate`` -> ``narrow_rate`` -> back), optional mu-law.

    Args:
        narrow_rate: the channel's rate (8000: telephone band up to 4 kHz).
        mulaw_prob: probability of G.711 mu-law companding at the narrow rate.
        sample_rate: rate of the waveforms.
    """

    def __init__(self, narrow_rate: int = 8000, mulaw_prob: float = 0.5,
                 sample_rate: int = 16000):
        if not 0 < narrow_rate < sample_rate:
            raise AugmentationError(f"telephone: narrow_rate {narrow_rate} must be in (0, "
                                    f"sample_rate {sample_rate})")
        if not 0.0 <= mulaw_prob <= 1.0:
            raise AugmentationError(f"telephone: mulaw_prob must be in [0, 1], got {mulaw_prob}")
        self.narrow_rate, self.mulaw_prob = int(narrow_rate), float(mulaw_prob)
        self.sample_rate = int(sample_rate)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The waveform as heard through the channel (same length as ``x``)."""
        narrow = _resample(np.asarray(x, dtype=np.float32), self.sample_rate, self.narrow_rate)
        if rng.random() < self.mulaw_prob:
            narrow = mulaw_decode(mulaw_encode(narrow))
        y = _resample(narrow, self.narrow_rate, self.sample_rate)
        if len(y) < len(x):
            y = np.pad(y, (0, len(x) - len(y)))
        return y[: len(x)]


@AUGMENTATIONS.register("device")
class Device(Augmentation):
    """Random gain and device-like EQ (high-pass corner, one peaking band).

    Args:
        gain_db: range of the gain in dB.
        highpass_hz: range of the first-order high-pass corner (Hz).
        peak_db: range of the peaking band's gain in dB.
        sample_rate: rate of the waveforms.
    """

    def __init__(self, gain_db: Sequence[float] = (-10.0, 6.0),
                 highpass_hz: Sequence[float] = (50.0, 400.0),
                 peak_db: Sequence[float] = (-6.0, 6.0), sample_rate: int = 16000):
        for name, rng_ in (("gain_db", gain_db), ("highpass_hz", highpass_hz),
                           ("peak_db", peak_db)):
            if len(rng_) != 2 or rng_[0] > rng_[1]:
                raise AugmentationError(f"device: {name} must be [low, high], got {rng_}")
        if not (0 < highpass_hz[0] and highpass_hz[1] < sample_rate / 2):
            raise AugmentationError(f"device: highpass_hz must lie in (0, {sample_rate / 2})")
        self.gain_db, self.highpass_hz, self.peak_db = gain_db, highpass_hz, peak_db
        self.sample_rate = int(sample_rate)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The waveform through a random device (clipped to [-1, 1])."""
        from scipy.signal import butter, iirpeak, lfilter, sosfilt

        y = np.asarray(x, dtype=np.float64)
        corner = float(rng.uniform(*self.highpass_hz))
        y = sosfilt(butter(1, corner, btype="highpass", fs=self.sample_rate, output="sos"), y)
        centre = float(rng.uniform(300.0, 0.4 * self.sample_rate))
        b, a = iirpeak(centre, Q=1.0, fs=self.sample_rate)
        peak = 10 ** (float(rng.uniform(*self.peak_db)) / 20.0)
        y = y + (peak - 1.0) * lfilter(b, a, y)  # add (or take away) the band around centre
        y = y * 10 ** (float(rng.uniform(*self.gain_db)) / 20.0)
        return np.clip(y, -1.0, 1.0).astype(np.float32)


__all__ = ["Device", "Telephone", "mulaw_decode", "mulaw_encode"]
