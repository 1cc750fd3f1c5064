"""Cosine scoring of trial lists without an N x N score matrix.

The embeddings are length-normalised once; the trial list is then walked in blocks, each
block gathering its enrolment and test rows and taking row-wise dot products, so memory is
``O(block * dim)`` whatever the number of embeddings or trials.

Example:
    >>> import numpy as np
    >>> e = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> cosine_score_pairs(e, e, np.array([0, 0]), np.array([0, 1])).tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

import numpy as np


def unit_rows(x: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Rows of ``x`` scaled to unit norm (zero rows stay zero), as ``dtype``."""
    x = np.asarray(x, dtype=dtype)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1)


def cosine_score_pairs(
    enrol: np.ndarray,
    test: np.ndarray,
    enrol_idx: np.ndarray,
    test_idx: np.ndarray,
    block_size: int = 2048,
    normalized: bool = False,
) -> np.ndarray:
    """Cosine similarity of ``enrol[enrol_idx[i]]`` and ``test[test_idx[i]]`` for every i.

    Args:
        enrol: ``[n_enrol, dim]`` enrolment embeddings.
        test: ``[n_test, dim]`` test embeddings (may be the same array as ``enrol``).
        enrol_idx, test_idx: row indices, one pair per trial.
        block_size: trials per block (memory ``2 * block_size * dim`` floats; small blocks
            stay in cache, which is faster than large ones).
        normalized: the rows already have unit norm (skip normalising).

    Returns:
        float64 ``[n_trials]`` scores in [-1, 1].
    """
    enrol_idx = np.asarray(enrol_idx, dtype=np.int64)
    test_idx = np.asarray(test_idx, dtype=np.int64)
    if enrol_idx.shape != test_idx.shape:
        raise ValueError(f"{enrol_idx.size} enrolment but {test_idx.size} test indices")
    same = enrol is test
    e = enrol if normalized else unit_rows(enrol)
    t = e if same else (test if normalized else unit_rows(test))
    out = np.empty(enrol_idx.size, dtype=np.float64)
    for start in range(0, enrol_idx.size, block_size):
        stop = min(start + block_size, enrol_idx.size)
        a = e[enrol_idx[start:stop]]
        b = t[test_idx[start:stop]]
        out[start:stop] = np.einsum("ij,ij->i", a, b)
    return out
