"""Sliding-window cepstral mean (and variance) normalisation, as ``apply-cmvn-sliding``.

Frame ``t`` is normalised by the statistics of a window of ``cmn_window`` frames: centred
on ``t`` with ``center``, else the ``cmn_window`` frames before ``t`` (grown to at least
``min_cmn_window`` frames at the start); windows are shifted, not shrunk, at the edges.
Statistics come from cumulative sums in float64, so the cost is linear in the length.

Example:
    >>> import numpy as np
    >>> x = np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)
    >>> sliding_cmvn(x, SlidingCmvnOptions(2, min_cmn_window=1, center=True)).ravel().tolist()
    [-0.5, 0.5, 0.5, 0.5]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from Process_Data.features.options import OptionError


@dataclass
class SlidingCmvnOptions:
    """apply-cmvn-sliding options, with Kaldi's defaults."""

    cmn_window: int = 600
    min_cmn_window: int = 100
    center: bool = False
    norm_vars: bool = False

    def check(self) -> None:
        """Raise OptionError on values Kaldi rejects."""
        if self.cmn_window <= 0:
            raise OptionError("--cmn-window must be > 0")
        if self.center and not 0 < self.min_cmn_window <= self.cmn_window:
            raise OptionError("--min-cmn-window must be in (0, --cmn-window] with --center")


def window_bounds(num_frames: int, opts: SlidingCmvnOptions):
    """(start, end) arrays: the half-open statistics window of every frame."""
    t = np.arange(num_frames)
    if opts.center:
        start = t - opts.cmn_window // 2
        end = start + opts.cmn_window
    else:
        start = t - opts.cmn_window
        end = t + 1
    shift = np.where(start < 0, -start, 0)
    start = start + shift
    end = end + shift
    if not opts.center:
        end = np.where(end > t, np.maximum(t + 1, opts.min_cmn_window), end)
    over = np.maximum(end - num_frames, 0)
    start = np.maximum(start - over, 0)
    end = end - over
    return start, end


def sliding_cmvn(feats: np.ndarray, opts: Optional[SlidingCmvnOptions] = None
                 ) -> np.ndarray:
    """Normalise ``feats`` ``[T, D]``; returns float32 of the same shape.

    With ``norm_vars`` the variance is floored at 1e-10, and a one-frame window gives 0.
    """
    opts = opts if opts is not None else SlidingCmvnOptions()
    opts.check()
    x = np.asarray(feats, dtype=np.float64)
    T = x.shape[0]
    if T == 0:
        return np.zeros_like(x, dtype=np.float32)
    start, end = window_bounds(T, opts)
    zero = np.zeros((1, x.shape[1]))
    csum = np.concatenate([zero, np.cumsum(x, axis=0)])
    count = (end - start)[:, None].astype(np.float64)
    total = csum[end] - csum[start]
    out = x - total / count
    if opts.norm_vars:
        csq = np.concatenate([zero, np.cumsum(x * x, axis=0)])
        var = (csq[end] - csq[start]) / count - (total / count) ** 2
        out = out / np.sqrt(np.maximum(var, 1.0e-10))
        out[count[:, 0] == 1] = 0.0
    return out.astype(np.float32)
