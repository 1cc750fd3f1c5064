"""Score normalisation with an impostor cohort: Z-norm, T-norm, S-norm, adaptive S-norm.

For each enrolment (test) vector the scores against every cohort vector give a mean and a
standard deviation (over the ``top_k`` highest cohort scores for adaptive S-norm); a
trial score ``s`` then becomes

* ``znorm``: ``(s - mu_e) / sd_e``
* ``tnorm``: ``(s - mu_t) / sd_t``
* ``snorm``: ``((s - mu_e) / sd_e + (s - mu_t) / sd_t) / 2``
* ``asnorm``: ``snorm`` with statistics of the ``top_k`` closest cohort vectors.

Cohort scores are computed in blocks of vectors, keeping only the statistics, so the
``[n_vectors, n_cohort]`` matrix is never held whole.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> cohort = rng.normal(size=(50, 4)); v = rng.normal(size=(3, 4))
    >>> mu, sd = cohort_stats(v, cohort)
    >>> mu.shape, bool(np.all(sd > 0))
    ((3,), True)
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

import numpy as np

from TrainAndTest.backend.cosine import unit_rows

METHODS = ("znorm", "tnorm", "snorm", "asnorm")


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``a`` with every row of ``b``."""
    return unit_rows(a) @ unit_rows(b).T


def cohort_stats(
    vectors: np.ndarray,
    cohort: np.ndarray,
    score_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] = cosine_matrix,
    top_k: Optional[int] = None,
    block_size: int = 1024,
    cohort_block: int = 8192,
) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each vector's scores against the cohort.

    Scores are computed for ``block_size`` vectors against ``cohort_block`` cohort vectors
    at a time; only the running ``top_k`` highest scores (adaptive norm) or running sums
    are kept, so memory is ``block_size * (top_k + cohort_block)`` scores whatever the
    cohort size (a cohort of 100k speaker means included).

    Args:
        vectors: ``[n, dim]``.
        cohort: ``[m, dim]`` impostor vectors.
        score_fn: ``(a, b) -> [len(a), len(b)]`` scores (cosine by default; a PLDA's
            ``score_matrix`` works too).
        top_k: use only the ``top_k`` highest scores of each vector (adaptive norm).
        block_size: vectors scored at a time.
        cohort_block: cohort vectors scored at a time.

    Returns:
        ``(mean, std)``, each ``[n]``; std is floored at 1e-10.
    """
    n, m = len(vectors), len(cohort)
    if top_k is not None and not 0 < top_k <= m:
        raise ValueError(f"top_k must be in 1..{m} (cohort size), got {top_k}")
    if top_k == m:
        top_k = None  # every score counts
    if score_fn is cosine_matrix:
        # Normalise once, not once per block pair.
        vectors, cohort = unit_rows(vectors), unit_rows(cohort)

        def score_fn(a, b):
            return a @ b.T

    mean = np.empty(n)
    std = np.empty(n)
    for start in range(0, n, block_size):
        v = vectors[start:start + block_size]
        if top_k is None:
            # Chan et al.'s pairwise update of count, mean and sum of squared deviations.
            cnt, mu, m2 = 0, np.zeros(len(v)), np.zeros(len(v))
            for c0 in range(0, m, cohort_block):
                s = np.asarray(score_fn(v, cohort[c0:c0 + cohort_block]), dtype=np.float64)
                k = s.shape[1]
                bmu = s.mean(axis=1)
                bm2 = ((s - bmu[:, None]) ** 2).sum(axis=1)
                delta = bmu - mu
                tot = cnt + k
                mu = mu + delta * k / tot
                m2 = m2 + bm2 + delta ** 2 * cnt * k / tot
                cnt = tot
            mean[start:start + len(v)] = mu
            std[start:start + len(v)] = np.sqrt(m2 / cnt)
            continue
        top = None
        for c0 in range(0, m, cohort_block):
            s = np.asarray(score_fn(v, cohort[c0:c0 + cohort_block]))
            cand = s if top is None else np.concatenate([top, s], axis=1)
            if cand.shape[1] > top_k:
                cand = np.partition(cand, cand.shape[1] - top_k, axis=1)[:, -top_k:]
            top = cand
        top = top.astype(np.float64)
        mean[start:start + len(v)] = top.mean(axis=1)
        std[start:start + len(v)] = top.std(axis=1)
    return mean, np.maximum(std, 1e-10)


def cohort_stats_of_rows(
    matrix: np.ndarray,
    used: np.ndarray,
    cohort: np.ndarray,
    score_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] = cosine_matrix,
    top_k: Optional[int] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`cohort_stats` of the rows of ``matrix`` where ``used`` is True.

    Returns:
        ``(mean, std)`` of length ``len(matrix)``; rows not used hold NaN.

    Example:
        >>> import numpy as np
        >>> x = np.eye(3); used = np.array([True, False, True])
        >>> mu, sd = cohort_stats_of_rows(x, used, np.eye(3))
        >>> np.isnan(mu).tolist()
        [False, True, False]
    """
    mean = np.full(len(matrix), np.nan)
    std = np.full(len(matrix), np.nan)
    rows = np.flatnonzero(used)
    if rows.size:
        mean[rows], std[rows] = cohort_stats(matrix[rows], cohort, score_fn, top_k)
    return mean, std


def normalize_scores(
    scores: np.ndarray,
    method: str,
    enrol_stats: Optional[Tuple[np.ndarray, np.ndarray]] = None,
    test_stats: Optional[Tuple[np.ndarray, np.ndarray]] = None,
) -> np.ndarray:
    """Apply a normalisation given per-trial cohort statistics.

    Args:
        scores: ``[n]`` raw trial scores.
        method: one of ``znorm tnorm snorm asnorm``.
        enrol_stats: ``(mean, std)`` of each trial's enrolment side, ``[n]`` each
            (needed by all but tnorm).
        test_stats: same for the test side (needed by all but znorm).

    Example:
        >>> import numpy as np
        >>> normalize_scores(np.array([3.0]), "snorm",
        ...                  (np.array([1.0]), np.array([2.0])),
        ...                  (np.array([0.0]), np.array([1.0]))).tolist()
        [2.0]
    """
    if method not in METHODS:
        raise ValueError(f"unknown score normalisation '{method}'; valid: {', '.join(METHODS)}")
    scores = np.asarray(scores, dtype=np.float64)
    z = t = None
    if method != "tnorm":
        if enrol_stats is None:
            raise ValueError(f"{method} needs enrolment cohort statistics")
        z = (scores - enrol_stats[0]) / enrol_stats[1]
    if method != "znorm":
        if test_stats is None:
            raise ValueError(f"{method} needs test cohort statistics")
        t = (scores - test_stats[0]) / test_stats[1]
    if z is None:
        return t
    if t is None:
        return z
    return 0.5 * (z + t)


def normalize_trials(
    scores: np.ndarray,
    enrol: np.ndarray,
    test: np.ndarray,
    enrol_idx: np.ndarray,
    test_idx: np.ndarray,
    cohort: np.ndarray,
    method: str = "asnorm",
    top_k: Optional[int] = 300,
    score_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] = cosine_matrix,
) -> np.ndarray:
    """Normalise trial scores: cohort statistics once per distinct enrol/test vector.

    Args:
        scores: ``[n_trials]`` raw scores.
        enrol, test: embedding matrices; ``enrol_idx`` / ``test_idx`` give each trial's rows.
        cohort: ``[m, dim]`` impostor embeddings (speakers disjoint from the trials).
        method: ``znorm tnorm snorm asnorm``.
        top_k: cohort size kept for ``asnorm`` (ignored by the others; capped at ``m``).
        score_fn: cohort scorer, cosine by default.

    Returns:
        ``[n_trials]`` normalised scores.
    """
    k = min(top_k, len(cohort)) if (method == "asnorm" and top_k) else None
    if method == "asnorm" and k is None:
        raise ValueError("asnorm needs top_k")
    enrol_stats = test_stats = None
    if method != "tnorm":
        used, inv = np.unique(enrol_idx, return_inverse=True)
        mu, sd = cohort_stats(enrol[used], cohort, score_fn, k)
        enrol_stats = (mu[inv.ravel()], sd[inv.ravel()])
    if method != "znorm":
        used, inv = np.unique(test_idx, return_inverse=True)
        mu, sd = cohort_stats(test[used], cohort, score_fn, k)
        test_stats = (mu[inv.ravel()], sd[inv.ravel()])
    return normalize_scores(scores, method, enrol_stats, test_stats)
