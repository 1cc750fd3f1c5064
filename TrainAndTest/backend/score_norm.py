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
from TrainAndTest.backend.top_k_screen import (
    AUTO_MIN_COHORT,
    ScreenedTopK,
    bf16_matrix_units,
    screen_applies,
    trim_heap,
)

METHODS = ("znorm", "tnorm", "snorm", "asnorm")
SCREENS = ("auto", "on", "off")


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

    Without ``top_k``, scores are computed for ``block_size`` vectors against
    ``cohort_block`` cohort vectors at a time and merged as running sums. With ``top_k``
    (adaptive norm), a few vectors at a time are scored against the whole cohort (at most
    ``2**24`` scores, 64 MB in float32) and the ``top_k`` highest are selected exactly by
    :func:`top_k_rows`. Either way memory does not grow with the number of vectors, and
    a cohort of 100k speaker means is fine.

    Args:
        vectors: ``[n, dim]``.
        cohort: ``[m, dim]`` impostor vectors.
        score_fn: ``(a, b) -> [len(a), len(b)]`` scores (cosine by default; a PLDA's
            ``score_matrix`` works too).
        top_k: use only the ``top_k`` highest scores of each vector (adaptive norm).
        block_size: vectors scored at a time (without ``top_k``; with it, at most this).
        cohort_block: cohort vectors scored at a time (without ``top_k``).

    Returns:
        ``(mean, std)``, each ``[n]``; std is floored at 1e-10.
    """
    scorer = CohortScorer(cohort, score_fn, top_k, block_size, cohort_block)
    return scorer.stats(vectors)


def _mean_std(top: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per-row mean and standard deviation of top-k scores, in float64."""
    top = top.astype(np.float64)
    return top.mean(axis=1), top.std(axis=1)


class CohortScorer:
    """Cohort statistics of any vectors against one cohort, prepared once.

    The cohort is length-normalised once for cosine scores (not once per block), so
    asking for a few vectors at a time (:class:`CohortStatsCache`) costs only their
    scores. Arguments as :func:`cohort_stats`, and ``screen``: for cosine scores with
    ``top_k``, select the top k with a bfloat16 screen and exact rescoring
    (:class:`~TrainAndTest.backend.top_k_screen.ScreenedTopK`: the same top-k scores,
    computed as float32 dot products instead of one float32 matrix product, so the
    statistics agree to float32 rounding); ``"auto"`` uses it where the CPU has bfloat16
    matrix units (AMX) and the cohort has at least 16384 vectors, ``"on"`` wherever it
    applies (cohort >= 256 k, as for tests), ``"off"`` never.

    Example:
        >>> import numpy as np
        >>> c = CohortScorer(np.eye(3), top_k=2)
        >>> [round(float(x), 3) for x in c.stats(np.array([[1.0, 1.0, 0.0]]))[0]]
        [0.707]
    """

    def __init__(self, cohort: np.ndarray,
                 score_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] = cosine_matrix,
                 top_k: Optional[int] = None, block_size: int = 1024, cohort_block: int = 8192,
                 screen: str = "auto"):
        m = len(cohort)
        if top_k is not None and not 0 < top_k <= m:
            raise ValueError(f"top_k must be in 1..{m} (cohort size), got {top_k}")
        if screen not in SCREENS:
            raise ValueError(f"unknown screen '{screen}'; valid: {', '.join(SCREENS)}")
        self.top_k = None if top_k == m else top_k  # every score counts
        self.block_size, self.cohort_block = block_size, cohort_block
        self.prepare = lambda x: x
        self.cohort = cohort
        self.score_fn = score_fn
        self.screen = None
        if score_fn is cosine_matrix:
            # Normalise once, not once per block pair.
            self.prepare = unit_rows
            self.cohort = unit_rows(cohort)
            self.score_fn = _inner_products
            if (self.top_k is not None and screen != "off" and screen_applies(m, self.top_k)
                    and (screen == "on" or (m >= AUTO_MIN_COHORT and bf16_matrix_units()))):
                self.screen = ScreenedTopK(self.cohort, self.top_k)

    def stats(self, vectors: np.ndarray, rows: Optional[np.ndarray] = None
              ) -> Tuple[np.ndarray, np.ndarray]:
        """``(mean, std)`` of each row of ``vectors`` (of ``vectors[rows]`` when given, without
        copying them all); std floored at 1e-10."""
        n, m = len(vectors) if rows is None else len(rows), len(self.cohort)
        mean = np.empty(n)
        std = np.empty(n)
        if self.screen is not None:
            step = self.screen.rows * self.screen.workers  # a block for every worker
        elif self.top_k is not None:
            step = max(1, min(self.block_size, 2**24 // max(m, 1)))
            step = step - step % 16 if step >= 16 else step
        else:
            step = self.block_size
        for start in range(0, n, step):
            v = self.prepare(vectors[start:start + step] if rows is None
                             else vectors[rows[start:start + step]])
            got = len(v)
            if self.screen is not None:  # a row's top k does not depend on its neighbours
                mu, sd = _mean_std(self.screen.top_k(v))
            else:
                if got < step:
                    # Always the same product shape: BLAS picks its kernel (and with it the
                    # rounding) by shape, and a row's statistics must not depend on which
                    # rows were asked for with it (CohortStatsCache asks a block at a time).
                    # Copies of a real row, not zeros: all-tied rows would make every top-k
                    # group a candidate.
                    v = np.concatenate([v, np.repeat(v[:1], step - got, axis=0)])
                if self.top_k is None:
                    mu, sd = self._running_stats(v)
                else:
                    mu, sd = _mean_std(
                        top_k_rows(np.asarray(self.score_fn(v, self.cohort)), self.top_k))
            mean[start:start + got] = mu[:got]
            std[start:start + got] = sd[:got]
        if self.screen is not None and n > step:
            trim_heap()  # what the screen's threads freed, before the caller's next step
        return mean, np.maximum(std, 1e-10)

    def _running_stats(self, v: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        # Chan et al.'s pairwise update of count, mean and sum of squared deviations.
        cnt, mu, m2 = 0, np.zeros(len(v)), np.zeros(len(v))
        for c0 in range(0, len(self.cohort), self.cohort_block):
            s = np.asarray(self.score_fn(v, self.cohort[c0:c0 + self.cohort_block]),
                           dtype=np.float64)
            k = s.shape[1]
            bmu = s.mean(axis=1)
            bm2 = ((s - bmu[:, None]) ** 2).sum(axis=1)
            delta = bmu - mu
            tot = cnt + k
            mu = mu + delta * k / tot
            m2 = m2 + bm2 + delta ** 2 * cnt * k / tot
            cnt = tot
        return mu, np.sqrt(m2 / cnt)


class CohortStatsCache:
    """Cohort statistics of the rows of an embedding matrix, each computed the first time
    it is asked for (all new rows of a request together).

    A trial list of 100M trials over 100k embeddings thus scores each embedding against
    the cohort once, in the pass that reads the list; rows no trial uses cost nothing.
    A row's statistics depend only on that row, so they equal :func:`cohort_stats_of_rows`
    whatever the order of the requests. Once every row is known the cache lets go of the
    matrix and the scorer (and with it the cohort), so a long list does not hold them.

    Example:
        >>> import numpy as np
        >>> cache = CohortStatsCache(np.eye(3), CohortScorer(np.eye(3)))
        >>> mu, sd = cache.lookup(np.array([2, 2, 0]))
        >>> mu.shape, int(cache.done.sum())
        ((3,), 2)
        >>> _ = cache.lookup(np.array([1])); cache.matrix is None
        True
    """

    def __init__(self, matrix: np.ndarray, scorer: CohortScorer):
        self.matrix, self.scorer = matrix, scorer
        self.mean = np.full(len(matrix), np.nan)
        self.std = np.full(len(matrix), np.nan)
        self.done = np.zeros(len(matrix), dtype=bool)

    def lookup(self, rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(mean, std)`` of each of ``rows`` (row indices, repeats allowed)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.matrix is not None:
            new = np.unique(rows[~self.done[rows]])
            if new.size:
                self.mean[new], self.std[new] = self.scorer.stats(self.matrix, new)
                self.done[new] = True
                if self.done.all():
                    self.matrix = self.scorer = None
        return self.mean[rows], self.std[rows]


def _inner_products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b.T


def top_k_rows(scores: np.ndarray, k: int, group: int = 16) -> np.ndarray:
    """The ``k`` largest values of each row of ``scores``, exactly, in no particular order.

    A partition of whole 100k-wide rows costs about 3 ns a score; instead the columns are
    cut into ``group``-strided groups and the maximum of each group taken (an element-wise
    maximum of ``group`` contiguous slices, memory speed). The ``k``-th largest group
    maximum of a row is at most its ``k``-th largest score (``k`` distinct groups reach
    it), so every top-``k`` score lies in a group whose maximum reaches it; only those
    groups (a few hundred) are partitioned. Ties are kept: the values returned are the
    same multiset as ``np.partition(scores, m - k, axis=1)[:, m - k:]``.

    Example:
        >>> import numpy as np
        >>> s = np.random.default_rng(0).normal(size=(3, 5000)).astype(np.float32)
        >>> ref = np.sort(np.partition(s, 5000 - 40, axis=1)[:, -40:], axis=1)
        >>> bool(np.array_equal(np.sort(top_k_rows(s, 40), axis=1), ref))
        True
    """
    r, m = scores.shape
    n_groups = m // group
    if n_groups < 4 * k:  # narrow rows: one partition is as cheap
        return np.partition(scores, m - k, axis=1)[:, m - k:]
    scores = np.ascontiguousarray(scores)
    main = scores[:, :n_groups * group].reshape(r, group, n_groups)
    gmax = main.max(axis=1)
    thr = np.partition(gmax, n_groups - k, axis=1)[:, n_groups - k]
    rows, cols = np.nonzero(gmax >= thr[:, None])
    counts = np.bincount(rows, minlength=r)
    pos = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    cand = np.full((r, int(counts.max()), group), -np.inf, dtype=scores.dtype)
    # main[rows, :, cols] as one flat take: each candidate group's members, in a row.
    first = rows * m + cols
    cand[rows, pos] = scores.ravel().take(first[:, None] + n_groups * np.arange(group))
    cand = cand.reshape(r, -1)
    if m > n_groups * group:
        cand = np.concatenate([cand, scores[:, n_groups * group:]], axis=1)
    w = cand.shape[1]
    return np.partition(cand, w - k, axis=1)[:, w - k:]


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
