"""Energy voice-activity detection, as Kaldi's ``compute-vad``.

A frame is voiced when, within ``+-vad_frames_context`` frames, at least
``vad_proportion_threshold`` of the frames have a log energy (column 0 of the features:
C0 of MFCCs, or the energy) above ``vad_energy_threshold + vad_energy_mean_scale *
mean(log energy)``.

Example:
    >>> import numpy as np
    >>> feats = np.array([[0.0], [10.0], [10.0], [0.0]], np.float32)
    >>> compute_vad(feats, VadOptions(vad_energy_threshold=1.0)).tolist()
    [0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from Process_Data.features.options import OptionError


@dataclass
class VadOptions:
    """compute-vad options, with Kaldi's defaults."""

    vad_energy_threshold: float = 5.0
    vad_energy_mean_scale: float = 0.5
    vad_frames_context: int = 0
    vad_proportion_threshold: float = 0.6

    def check(self) -> None:
        """Raise OptionError on values Kaldi rejects."""
        if self.vad_energy_mean_scale < 0:
            raise OptionError("--vad-energy-mean-scale must be >= 0")
        if self.vad_frames_context < 0:
            raise OptionError("--vad-frames-context must be >= 0")
        if not 0.0 < self.vad_proportion_threshold < 1.0:
            raise OptionError("--vad-proportion-threshold must be in (0, 1)")


def compute_vad(feats: np.ndarray, opts: Optional[VadOptions] = None) -> np.ndarray:
    """Voiced (1.0) / unvoiced (0.0) decision per frame of ``feats`` ``[T, D]``.

    Returns:
        float32 vector of length T (empty for empty features).
    """
    opts = opts if opts is not None else VadOptions()
    opts.check()
    feats = np.asarray(feats)
    T = feats.shape[0]
    if T == 0:
        return np.zeros(0, dtype=np.float32)
    energy = feats[:, 0].astype(np.float32)
    threshold = opts.vad_energy_threshold
    if opts.vad_energy_mean_scale != 0.0:
        threshold += opts.vad_energy_mean_scale * float(energy.astype(np.float64).sum()) / T
    above = np.concatenate([[0], np.cumsum(energy > threshold)])
    ctx = opts.vad_frames_context
    t = np.arange(T)
    lo = np.clip(t - ctx, 0, T)
    hi = np.clip(t + ctx + 1, 0, T)
    num = above[hi] - above[lo]
    den = hi - lo
    return (num >= den * opts.vad_proportion_threshold).astype(np.float32)


def select_voiced_frames(feats: np.ndarray, vad: np.ndarray) -> np.ndarray:
    """Rows of ``feats`` whose VAD value is non-zero (Kaldi ``select-voiced-frames``).

    Raises:
        ValueError: the VAD length differs from the number of frames.

    Example:
        >>> select_voiced_frames(np.arange(6.0).reshape(3, 2), np.array([1.0, 0.0, 1.0]))
        array([[0., 1.],
               [4., 5.]])
    """
    vad = np.asarray(vad).reshape(-1)
    if vad.shape[0] != feats.shape[0]:
        raise ValueError(f"VAD has {vad.shape[0]} frames but the features have {feats.shape[0]}")
    return feats[vad != 0.0]
