"""Mel scale, VTLN frequency warping and Kaldi's triangular mel filterbank.

The filterbank is returned as a dense ``[num_fft_bins + 1, num_bins]`` float32 matrix so
that ``power_spectrum @ weights`` gives the mel energies of a whole frame matrix at once
(the last row, the Nyquist bin, is zero: Kaldi's bins never reach it).

Example:
    >>> from Process_Data.features.options import FrameOptions, MelOptions
    >>> w, centres = mel_banks(MelOptions(num_bins=23), FrameOptions())
    >>> w.shape, centres.shape
    ((257, 23), (23,))
"""

from __future__ import annotations

import functools
from typing import Tuple

import numpy as np

from Process_Data.features.options import FrameOptions, MelOptions, OptionError


def mel_scale(freq):
    """Hz -> mel, ``1127 ln(1 + f / 700)`` (numpy arrays or floats).

    Example:
        >>> round(float(mel_scale(1000.0)), 3)
        999.991
    """
    return 1127.0 * np.log(1.0 + np.asarray(freq, dtype=np.float64) / 700.0)


def inverse_mel_scale(mel):
    """mel -> Hz, the inverse of :func:`mel_scale`."""
    return 700.0 * (np.exp(np.asarray(mel, dtype=np.float64) / 1127.0) - 1.0)


def vtln_warp_freq(vtln_low: float, vtln_high: float, low_freq: float, high_freq: float,
                   warp: float, freq):
    """Kaldi's piecewise-linear VTLN warp of ``freq`` (Hz), identity outside [low, high].

    The middle piece scales by ``1 / warp``; the outer pieces join it to the band edges.
    """
    freq = np.asarray(freq, dtype=np.float64)
    lo = vtln_low * max(1.0, warp)
    hi = vtln_high * min(1.0, warp)
    scale = 1.0 / warp
    if not (lo > low_freq and hi < high_freq):
        raise OptionError(
            f"--vtln-low {vtln_low} / --vtln-high {vtln_high} must lie inside "
            f"--low-freq {low_freq} .. --high-freq {high_freq} for warp {warp}"
        )
    scale_left = (scale * lo - low_freq) / (lo - low_freq)
    scale_right = (high_freq - scale * hi) / (high_freq - hi)
    out = np.where(
        freq < lo,
        low_freq + scale_left * (freq - low_freq),
        np.where(freq < hi, scale * freq, high_freq + scale_right * (freq - high_freq)),
    )
    return np.where((freq < low_freq) | (freq > high_freq), freq, out)


def band_edges(mel: MelOptions, frame: FrameOptions) -> Tuple[float, float]:
    """(low, high) filterbank edges in Hz; a non-positive high edge is an offset from Nyquist."""
    nyquist = 0.5 * frame.sample_frequency
    low = mel.low_freq
    high = mel.high_freq if mel.high_freq > 0 else nyquist + mel.high_freq
    if low < 0 or low >= nyquist or high <= 0 or high > nyquist or high <= low:
        raise OptionError(
            f"--low-freq {mel.low_freq} / --high-freq {mel.high_freq} give the band "
            f"{low}..{high} Hz, not inside 0..{nyquist} (Nyquist)"
        )
    return low, high


def mel_banks(mel: MelOptions, frame: FrameOptions, vtln_warp: float = 1.0
              ) -> Tuple[np.ndarray, np.ndarray]:
    """Triangular mel filterbank weights and centre frequencies.

    Args:
        mel: filterbank options.
        frame: frame options (sample rate and FFT size).
        vtln_warp: VTLN warp factor (1.0: none).

    Returns:
        ``(weights [padded_window_size // 2 + 1, num_bins] float32, centres_hz [num_bins])``.
    """
    return _mel_banks_cached(mel.num_bins, mel.low_freq, mel.high_freq, mel.vtln_low,
                             mel.vtln_high, mel.htk_mode, frame.sample_frequency,
                             frame.padded_window_size, float(vtln_warp))


@functools.lru_cache(maxsize=64)
def _mel_banks_cached(num_bins, low_freq, high_freq, vtln_low, vtln_high, htk_mode,
                      sample_frequency, padded, warp):
    if num_bins < 3:
        raise OptionError(f"--num-mel-bins must be at least 3, got {num_bins}")
    frame = FrameOptions(sample_frequency=sample_frequency)
    mel = MelOptions(num_bins=num_bins, low_freq=low_freq, high_freq=high_freq)
    low, high = band_edges(mel, frame)
    nyquist = 0.5 * sample_frequency
    num_fft_bins = padded // 2
    mel_low, mel_high = float(mel_scale(low)), float(mel_scale(high))
    delta = (mel_high - mel_low) / (num_bins + 1)
    b = np.arange(num_bins, dtype=np.float64)
    left, center, right = (mel_low + (b + k) * delta for k in (0, 1, 2))
    if warp != 1.0:
        v_high = vtln_high + nyquist if vtln_high < 0 else vtln_high

        def warp_mel(m):
            return mel_scale(vtln_warp_freq(vtln_low, v_high, low, high, warp,
                                            inverse_mel_scale(m)))

        left, center, right = warp_mel(left), warp_mel(center), warp_mel(right)
    fft_mel = mel_scale(sample_frequency / padded * np.arange(num_fft_bins))[None, :]
    left, center, right = left[:, None], center[:, None], right[:, None]
    up = (fft_mel - left) / (center - left)
    down = (right - fft_mel) / (right - center)
    inside = (fft_mel > left) & (fft_mel < right)
    weights = np.where(inside, np.where(fft_mel <= center, up, down), 0.0)
    empty = ~inside.any(axis=1)
    if empty.any():
        raise OptionError(
            f"mel bin {int(np.argmax(empty))} has no FFT bins: --num-mel-bins {num_bins} is "
            f"too large for an FFT of {padded} points"
        )
    if htk_mode and mel_low != 0.0:
        # HTK zeroes the first weight of the first bin; kept for the HTK comparisons.
        weights[0, int(np.argmax(inside[0]))] = 0.0
    full = np.zeros((num_fft_bins + 1, num_bins), dtype=np.float32)
    full[:num_fft_bins] = weights.T
    full.setflags(write=False)
    centres = inverse_mel_scale(center[:, 0])
    centres.setflags(write=False)
    return full, centres
