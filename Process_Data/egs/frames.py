"""Frame-level preparation of a feature matrix before chunking: VAD selection, sliding CMN.

``select_voiced`` keeps the frames whose ``vad.scp`` value is > 0.5 (Kaldi's
``select-voiced-frames``). ``sliding_cmvn`` is Kaldi's ``apply-cmvn-sliding`` with
``--center=true``: each frame has the mean of a ``window``-frame window around it subtracted
(the window is shifted, not shrunk, at the edges; a shorter utterance uses all its frames),
and with ``norm_vars`` also divided by the window's standard deviation.

Example:
    >>> import numpy as np
    >>> x = np.arange(6, dtype=np.float32).reshape(6, 1)
    >>> sliding_cmvn(x, window=2)[:, 0]
    array([-0.5,  0.5,  0.5,  0.5,  0.5,  0.5], dtype=float32)
    >>> select_voiced(x, np.array([0, 1, 1, 0, 0, 1.]))[:, 0]
    array([1., 2., 5.], dtype=float32)
"""

from __future__ import annotations

import numpy as np


def select_voiced(feats: np.ndarray, vad: np.ndarray, where: str = "") -> np.ndarray:
    """Rows of ``feats`` whose VAD value is > 0.5.

    Raises:
        ValueError: the lengths differ (``where`` names the utterance).
    """
    vad = np.asarray(vad).reshape(-1)
    if len(vad) != len(feats):
        raise ValueError(f"{where}: vad has {len(vad)} frames, feats {len(feats)}")
    return feats[vad > 0.5]


def window_bounds(num_frames: int, window: int) -> tuple:
    """Kaldi's centred window ``[begin, end)`` of every frame (two int arrays)."""
    t = np.arange(num_frames)
    begin = t - window // 2
    end = begin + window
    shift = np.where(begin < 0, -begin, 0)
    begin, end = begin + shift, end + shift
    over = np.maximum(end - num_frames, 0)
    begin, end = np.maximum(begin - over, 0), end - over
    return begin, end


def sliding_cmvn(feats: np.ndarray, window: int = 300, norm_vars: bool = False) -> np.ndarray:
    """Sliding-window mean (and variance) normalisation, Kaldi ``--center=true``.

    Args:
        feats: ``[frames, dim]`` matrix.
        window: window length in frames (Kaldi ``--cmn-window``, default 300).
        norm_vars: also normalise the variance.

    Returns:
        float32 matrix of the same shape.
    """
    x = np.asarray(feats, dtype=np.float64)
    n = len(x)
    if n == 0:
        return x.astype(np.float32)
    begin, end = window_bounds(n, int(window))
    zero = np.zeros((1, x.shape[1]))
    csum = np.concatenate([zero, np.cumsum(x, axis=0)])
    count = (end - begin)[:, None]
    mean = (csum[end] - csum[begin]) / count
    out = x - mean
    if norm_vars:
        csq = np.concatenate([zero, np.cumsum(x * x, axis=0)])
        var = (csq[end] - csq[begin]) / count - mean * mean
        out = out / np.sqrt(np.maximum(var, 1e-20))
    return out.astype(np.float32)
