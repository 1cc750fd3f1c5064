"""Delta and delta-delta features, as Kaldi's ``add-deltas`` (``ComputeDeltas``).

Order ``k`` is a regression over ``+-window`` frames of order ``k - 1``, with the frames at
the utterance ends repeated. The filters of all orders are built once by convolving the
order-1 regression filter with itself.

Example:
    >>> import numpy as np
    >>> x = np.arange(10, dtype=np.float32)[:, None]
    >>> compute_deltas(x)[5].tolist()
    [5.0, 1.0, 0.0]
"""

from __future__ import annotations

import numpy as np


def delta_filters(order: int = 2, window: int = 2) -> list:
    """Filter taps for orders ``0..order``; order ``k`` has ``2 * k * window + 1`` taps."""
    if order < 0 or window < 1:
        raise ValueError(f"need order >= 0 and window >= 1, got {order}, {window}")
    base = np.arange(-window, window + 1, dtype=np.float64)
    base /= float((base ** 2).sum())
    filters = [np.ones(1)]
    for _ in range(order):
        filters.append(np.convolve(filters[-1], base))
    return filters


def compute_deltas(feats: np.ndarray, order: int = 2, window: int = 2) -> np.ndarray:
    """Append deltas up to ``order`` to ``feats`` ``[T, D]``; returns ``[T, D * (order + 1)]``.

    Args:
        feats: feature matrix.
        order: highest delta order (Kaldi ``--delta-order``, default 2).
        window: regression half-width (Kaldi ``--delta-window``, default 2).
    """
    x = np.asarray(feats, dtype=np.float64)
    T = x.shape[0]
    if T == 0:
        return np.zeros((0, x.shape[1] * (order + 1)), dtype=np.float32)
    out = []
    for taps in delta_filters(order, window):
        half = (len(taps) - 1) // 2
        idx = np.clip(np.arange(T)[:, None] + np.arange(-half, half + 1)[None, :], 0, T - 1)
        out.append(np.einsum("tjd,j->td", x[idx], taps))
    return np.concatenate(out, axis=1).astype(np.float32)
