"""Waveform pre-processing done before framing: resampling and Butterworth band-pass.

Both are options of feature extraction (``FrameOptions``): audio at another rate than
``--sample-frequency`` is resampled when ``--allow-downsample``/``--allow-upsample`` allow
it (Kaldi refuses otherwise), and ``--band-pass-low``/``--band-pass-high`` apply a
zero-phase Butterworth filter (``--band-pass-order``; a low edge alone is a high-pass, a
high edge alone a low-pass).

Example:
    >>> import numpy as np
    >>> from Process_Data.features.options import FrameOptions
    >>> opts = FrameOptions(allow_upsample=True, band_pass_low=100.0)
    >>> prepare_waveform(np.zeros(8000, np.float32), 8000, opts).shape
    (16000,)
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from Process_Data.features.options import FrameOptions, OptionError


def band_pass(wave: np.ndarray, sample_rate: float, low: float, high: float,
              order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-pass (or high-/low-pass when one edge is 0).

    Args:
        wave: 1-D waveform.
        sample_rate: its rate in Hz.
        low: lower edge in Hz (0: no high-pass part).
        high: upper edge in Hz (0: none; negative: offset from Nyquist).
        order: filter order (the forward-backward pass doubles the attenuation).

    Returns:
        the filtered float32 waveform (unchanged when both edges are 0).
    """
    from scipy.signal import butter, sosfiltfilt

    nyquist = 0.5 * sample_rate
    if high < 0:
        high += nyquist
    if low <= 0 and high <= 0:
        return np.asarray(wave, dtype=np.float32)
    if low > 0 and high > 0:
        sos = butter(order, [low, high], btype="bandpass", fs=sample_rate, output="sos")
    elif low > 0:
        sos = butter(order, low, btype="highpass", fs=sample_rate, output="sos")
    else:
        sos = butter(order, high, btype="lowpass", fs=sample_rate, output="sos")
    x = np.asarray(wave, dtype=np.float64)
    if x.shape[0] <= 3 * (2 * len(sos) + 1):
        return x.astype(np.float32)  # too short for filtfilt's edge padding; nothing to hear
    return sosfiltfilt(sos, x).astype(np.float32)


def prepare_waveform(wave: np.ndarray, sample_rate: Optional[float],
                     opts: FrameOptions) -> np.ndarray:
    """Resample ``wave`` to ``opts.sample_frequency`` (if allowed) and band-pass it.

    Args:
        wave: 1-D float waveform in [-1, 1].
        sample_rate: its rate (None: already ``opts.sample_frequency``).
        opts: frame options.

    Returns:
        float32 waveform at ``opts.sample_frequency``.

    Raises:
        OptionError: the rate differs and the matching ``--allow-*`` option is false.
    """
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise ValueError(f"expected a 1-D waveform, got shape {wave.shape}")
    target = opts.sample_frequency
    if sample_rate is not None and float(sample_rate) != float(target):
        if sample_rate > target and not opts.allow_downsample:
            raise OptionError(f"audio at {sample_rate} Hz but --sample-frequency={target}; "
                              "set --allow-downsample=true to resample")
        if sample_rate < target and not opts.allow_upsample:
            raise OptionError(f"audio at {sample_rate} Hz but --sample-frequency={target}; "
                              "set --allow-upsample=true to resample")
        from Process_Data.audio import resample

        if int(sample_rate) != sample_rate or int(target) != target:
            raise OptionError(f"cannot resample {sample_rate} Hz -> {target} Hz (not integers)")
        wave = resample(wave, int(sample_rate), int(target))
    if opts.band_pass_low > 0 or opts.band_pass_high != 0:
        wave = band_pass(wave, target, opts.band_pass_low, opts.band_pass_high,
                         opts.band_pass_order)
    return wave
