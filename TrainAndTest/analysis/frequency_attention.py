"""Gradient frequency attention: one input weight per frequency bin from a trained model.

The weights are the mean over time and over many utterances of the absolute saliency (by
default the input gradient of each utterance's training-speaker logit), normalised to mean 1
so the weighted input keeps its overall scale. A new model trained with them fixed on its
input (``model_conf.freq_weights``) sees the bins the first model found useful amplified.
The comparison weights, :func:`mel_weights`, follow the density of the mel scale at each
bin's centre frequency (``1 / (700 + f)``), also with mean 1.

Example:
    >>> import numpy as np
    >>> w = bin_weights(np.array([[1.0, 3.0], [1.0, 3.0]]))
    >>> w.tolist()
    [0.5, 1.5]
    >>> bool(np.all(np.diff(mel_weights(np.array([100.0, 1000.0, 4000.0]))) < 0))
    True
"""

from __future__ import annotations

from typing import Iterable

import numpy as np


def bin_weights(profiles: Iterable[np.ndarray]) -> np.ndarray:
    """Mean of per-utterance frequency profiles ``[bins]`` (each the time mean of
    ``|saliency|``), normalised to mean 1."""
    mean = np.mean(np.stack([np.asarray(p, np.float64) for p in profiles]), axis=0)
    if not np.isfinite(mean).all() or mean.mean() <= 0:
        raise ValueError("the saliency profiles are all zero or not finite")
    return (mean / mean.mean()).astype(np.float32)


def frequency_profile(saliency: np.ndarray) -> np.ndarray:
    """Time mean of ``|saliency|`` ``[frames, bins]`` -> ``[bins]``."""
    return np.abs(np.asarray(saliency, np.float64)).mean(axis=0)


def bin_centres(frontend) -> np.ndarray:
    """Centre frequency (Hz) of every input bin of a front end's features.

    fbank: the centres of the mel triangles; spectrogram: the FFT bin frequencies. MFCC and
    PLP columns are cepstra, not frequencies (ValueError).
    """
    from Process_Data.features.mel import inverse_mel_scale, mel_scale

    opts = frontend.options
    rate = float(opts.frame.sample_frequency)
    if frontend.feature == "fbank":
        mel = opts.mel
        high = mel.high_freq if mel.high_freq > 0 else rate / 2 + mel.high_freq
        lo, hi = float(mel_scale(mel.low_freq)), float(mel_scale(high))
        points = lo + (hi - lo) * np.arange(1, mel.num_bins + 1) / (mel.num_bins + 1)
        return np.asarray(inverse_mel_scale(points), np.float64)
    if frontend.feature == "spectrogram":
        return np.linspace(0.0, rate / 2, frontend.dim)
    raise ValueError(f"{frontend.feature} features have no frequency axis; mel weights need "
                     "fbank or spectrogram features")


def mel_weights(centres_hz: np.ndarray) -> np.ndarray:
    """Mel-scale density ``1 / (700 + f)`` at each bin centre, normalised to mean 1."""
    w = 1.0 / (700.0 + np.asarray(centres_hz, np.float64))
    return (w / w.mean()).astype(np.float32)
