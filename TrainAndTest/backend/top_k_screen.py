"""Exact top-k inner products of many rows against a large cohort, screened in bfloat16.

Adaptive S-norm needs, for each embedding, the ``k`` highest cosine scores against a
cohort (``k`` = 300 of 100k speaker means): 100k x 100k x 256 multiply-adds, then a
selection in every 100k-wide row. :class:`ScreenedTopK` computes every score once in
bfloat16 on the CPU's matrix units (AMX through torch/oneDNN: several times the float32
rate) and uses those only to *screen*: with a rigorous bound on the bfloat16 error of
each score, only the scores that can still be among the top ``k`` (about 500 per row for
the top 300 of 100k) are computed again exactly, as float32 dot products of the given
rows, and the ``k`` highest of those are returned. The result is the top ``k`` of the
float32 scores, not an approximation: it differs from the top ``k`` of one float32
matrix product only by that product's own rounding (about 1e-7).

Per block of rows (``rows_per_block``), in two passes over the cohort, a chunk of
``chunk`` cohort vectors at a time (the product tile stays in cache):

1. ``s' = bf16(x) . bf16(c~)``, rounded to bfloat16; the maximum of each group of 16
   (members at a stride of ``chunk / 16``) and of each 4 groups (64 scores) kept,
   compared as int16 bit patterns (which order like the values for values >= 0 and put
   negative values below them: a maximum is exact whenever it is >= 0 and an
   underestimate otherwise, which keeps every inequality below).
2. Per row, ``t`` = the ``k``-th largest of the 64-score maxima: at least ``k`` screen
   scores reach it, so the ``k``-th largest exact score is at least ``low = t - B(t)``,
   and a screen score ``s'`` can be in the top ``k`` only if ``s' + B(s') >= low``, i.e.
   ``s' >= h``.
3. The tiles are computed again; their scores that reach ``h`` (about 530 per row for the
   top 300 of 100k random 256-dim vectors) are the candidates, scored exactly
   (``torch.sparse.sampled_addmm``: one vectorised float32 dot product per pair), and the
   top ``k`` of them returned. Rows with ``h <= 0`` (where the int16 order is not the
   value order) are scored directly, every float32 score.

Recomputing a tile costs less than storing every screen score (2 bytes each, 200 MB per
1000 rows of a 100k cohort) and reading the candidates back. Blocks run side by side in
``workers`` threads, each on one torch thread (faster on 2 cores than one block on two
threads: the numpy steps run in parallel too). On this 2-core machine (AMX) the top 300
of 100k for 100k rows take about 10 s, against about 45 s for one float32 product per
block and a partition.

The bound, for a row ``x`` and cohort vector ``c`` (``x~``, ``c~`` their bfloat16
roundings, ``d`` the dimension, ``g = d 2^-24 / (1 - d 2^-24)``):
``|x.c - x~.c~| <= |x~| |c - c~| + |x - x~| |c|`` (exact algebra and Cauchy-Schwarz), plus
``g |x~| |c~|`` for the float32 accumulation of the screen product and ``g |x| |c|`` for
that of the exact dot product, with the cohort norms taken at their maxima; then
``2^-8 |s'| / (1 - 2^-8)`` for the round-to-nearest-even of the product to bfloat16
(oneDNN's ``vcvtneps2bf16``, torch's own conversion). With unit rows of dimension 256 the
first part is about 0.005, against a spread of about 0.06 in the scores of random
vectors.

Example:
    >>> import numpy as np
    >>> from TrainAndTest.backend.cosine import unit_rows
    >>> rng = np.random.default_rng(0)
    >>> c, x = unit_rows(rng.normal(size=(4096, 16))), unit_rows(rng.normal(size=(5, 16)))
    >>> top = ScreenedTopK(c, k=10).top_k(x)
    >>> ref = np.sort(np.partition(x @ c.T, 4096 - 10, axis=1)[:, -10:], axis=1)
    >>> top.shape, bool(np.allclose(top, ref, rtol=0, atol=1e-6))
    ((5, 10), True)
"""

from __future__ import annotations

import ctypes
import queue
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import numpy as np

GROUP = 16  # screen scores per group maximum (members at a stride of chunk / GROUP)
COARSE = 4  # group maxima per coarse maximum, for the threshold (64 scores each)
AUTO_MIN_COHORT = 16384  # smaller cohorts: one float32 product is cheap, keep it


def bf16_matrix_units() -> bool:
    """True when torch's CPU build can use AMX tiles (bfloat16 products at matrix rate).

    Without them a bfloat16 product is no faster than float32 and screening does not pay.
    """
    try:
        import torch

        return bool(torch.backends.mkldnn.is_available() and torch.cpu._is_amx_tile_supported())
    except (ImportError, AttributeError):  # an old torch without the probe
        return False


def _norms(a: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row of a float64 matrix."""
    return np.sqrt(np.einsum("ij,ij->i", a, a))


def trim_heap() -> None:
    """Return the free memory of every malloc arena to the system (glibc; elsewhere a
    no-op).

    The screen's worker threads keep what their blocks freed in their own arenas (about
    45 MB each for a cohort of 100k); a caller done with a long run of blocks hands it
    back before going on (``CohortScorer.stats``: before a trial list's pass).
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def screen_applies(n_cohort: int, k: int) -> bool:
    """Whether screening can pay: the threshold's ``k``-th largest of at least ``4 k``
    coarse maxima, so most groups miss it."""
    return n_cohort // (GROUP * COARSE) >= 4 * k


class ScreenedTopK:
    """The exact ``k`` highest inner products of rows against a cohort, screened in bfloat16.

    Args:
        cohort: ``[m, d]`` float32 rows (unit rows for cosine scores; any rows work, the
            bound uses their norms). Kept by reference, not copied.
        k: scores kept per row, ``1 <= k <= m // 64``.
        rows_per_block: rows screened together (each block: two passes over the cohort).
        chunk: cohort vectors per product tile (a multiple of 64).
        workers: blocks screened at once, each in its own thread on one torch thread
            (default: torch's thread count, at most 4); about 25 MB each for a cohort of
            100k.

    The defaults (2,048 rows, 1,024-vector tiles: a 4 MiB bfloat16 tile) were the fastest
    of nine shapes from 256 x 4096 to 8192 x 512 on the 2-core development machine (AMX):
    10 % faster than 1024 x 2048, 30-40 % faster than 512-row or 512-vector tiles.

    The top ``k`` of a row does not depend on which rows are asked for with it: the
    screen only chooses candidates, and each candidate's exact score is one dot product
    computed the same way whatever the block.
    """

    def __init__(self, cohort: np.ndarray, k: int, rows_per_block: int = 2048,
                 chunk: int = 1024, workers: Optional[int] = None):
        import torch

        cohort = np.ascontiguousarray(cohort, dtype=np.float32)
        m, d = cohort.shape
        step = GROUP * COARSE
        if chunk % step:
            raise ValueError(f"chunk must be a multiple of {step}, got {chunk}")
        if not 1 <= k <= m // step:
            raise ValueError(f"k must be in 1..{m // step} (cohort of {m} / {step}), got {k}")
        self.k, self.m, self.dim = k, m, d
        self.chunk = chunk = min(chunk, -(-m // step) * step)
        self.n_chunks = -(-m // chunk)
        self.pad = self.n_chunks * chunk - m
        self.rows = rows_per_block
        self.workers = workers or max(1, min(4, torch.get_num_threads()))
        self.cohort = torch.from_numpy(cohort)
        # [n_chunks, d, chunk] bfloat16: each tile's right operand contiguous (zero padded).
        self.cohort_t = torch.zeros(self.n_chunks, d, chunk, dtype=torch.bfloat16)
        c_norm = c_round = c_err = 0.0  # cohort maxima of the bound, in float64
        for i in range(self.n_chunks):
            part = self.cohort[i * chunk:(i + 1) * chunk]
            self.cohort_t[i, :, :len(part)] = part.T
            c64 = part.numpy().astype(np.float64)
            b64 = self.cohort_t[i, :, :len(part)].T.float().numpy().astype(np.float64)
            c_norm = max(c_norm, float(_norms(c64).max()))
            c_round = max(c_round, float(_norms(b64).max()))
            c_err = max(c_err, float(_norms(c64 - b64).max()))
        self._c_norm, self._c_round, self._c_err = c_norm, c_round, c_err
        self._gamma = d * 2.0**-24 / (1 - d * 2.0**-24)
        self._u_out = 2.0**-8 / (1 - 2.0**-8)
        self._buffers: queue.SimpleQueue = queue.SimpleQueue()  # one set per worker
        self._pool: Optional[ThreadPoolExecutor] = None

    def bound(self, x: np.ndarray, piece: int = 256) -> np.ndarray:
        """Per row of ``x``: the bound on ``|exact - screen|`` before the output rounding
        (``piece`` rows at a time: the float64 copies stay small)."""
        if len(x) > piece:
            return np.concatenate([self.bound(x[s:s + piece], piece)
                                   for s in range(0, len(x), piece)])
        import torch

        x64 = x.astype(np.float64)
        xb = torch.from_numpy(np.ascontiguousarray(x)).bfloat16().float().numpy().astype(np.float64)
        x_norm, xb_norm, dx_norm = _norms(x64), _norms(xb), _norms(x64 - xb)
        a = (xb_norm * self._c_err + dx_norm * self._c_norm
             + self._gamma * (xb_norm * self._c_round + x_norm * self._c_norm))
        return a * (1 + 1e-6) + 1e-30  # the float64 evaluation of the bound itself

    def threshold(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``h`` per row: a screen score below ``h`` cannot be in the exact top k.

        ``t``: a value that at least k screen scores of the row reach, so the k-th
        largest exact score is at least ``low = t - a - u|t|``; a screen score ``s`` can
        reach ``low`` only if ``s + a + u|s| >= low``.
        """
        a = self.bound(x)
        u = self._u_out
        w = t - a - u * np.abs(t) - a
        return np.where(w >= 0, w / (1 + u), w / (1 - u))

    def top_k(self, x: np.ndarray) -> np.ndarray:
        """``[n, k]`` float32: the ``k`` highest scores of each row of ``x``, ascending.

        Blocks of ``rows_per_block`` rows, up to ``workers`` at once."""
        import torch

        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty((len(x), self.k), dtype=np.float32)
        starts = range(0, len(x), self.rows)
        threads = torch.get_num_threads()

        def work(s: int) -> None:
            try:
                buffers = self._buffers.get_nowait()
            except queue.Empty:
                per = self.chunk // GROUP
                buffers = (torch.empty(self.rows, self.chunk, dtype=torch.bfloat16),
                           torch.empty(self.rows, per, dtype=torch.int16),
                           torch.empty(self.rows, self.n_chunks * per // COARSE,
                                       dtype=torch.int16))
            if parallel:
                torch.set_num_threads(1)  # this thread's OpenMP setting: blocks side by side
            try:
                out[s:s + self.rows] = self._block(x[s:s + self.rows], *buffers)
            finally:
                if parallel:
                    torch.set_num_threads(threads)
                self._buffers.put(buffers)

        parallel = self.workers > 1 and len(starts) > 1
        if not parallel:
            for s in starts:
                work(s)
            return out
        if self._pool is None:  # kept: new threads each call would each grow a malloc arena
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="top_k_screen")
        list(self._pool.map(work, starts))
        return out

    def _screen(self, xb, tile, i: int):
        """The bfloat16 screen scores of a block against cohort chunk ``i``, as int16 bits."""
        import torch

        torch.mm(xb, self.cohort_t[i], out=tile)
        if i == self.n_chunks - 1 and self.pad:
            tile[:, self.chunk - self.pad:] = -float("inf")
        return tile.view(torch.int16)

    def _block(self, x: np.ndarray, tile, gmax, coarse) -> np.ndarray:
        import torch

        r, n_ch, chunk, k = len(x), self.n_chunks, self.chunk, self.k
        per = chunk // GROUP  # groups per chunk, the stride between a group's members
        q = per // COARSE  # coarse maxima per chunk
        xt = torch.from_numpy(x)
        xb = xt.bfloat16()
        tile, gmax, coarse = tile[:r], gmax[:r], coarse[:r]
        # Pass 1: group maxima. bfloat16 bits as int16 order like the values among values
        # >= +0 and put every negative value below them, so an int16 maximum is the group
        # maximum whenever that is >= +0, and below it otherwise (still "reached").
        for i in range(n_ch):
            torch.amax(self._screen(xb, tile, i).view(r, GROUP, per), dim=1, out=gmax)
            g = gmax.view(r, COARSE, q)  # coarse maxima: COARSE groups each
            torch.maximum(g[:, 0], g[:, 1], out=coarse[:, i * q:(i + 1) * q])
            for a in range(2, COARSE):
                torch.maximum(coarse[:, i * q:(i + 1) * q], g[:, a],
                              out=coarse[:, i * q:(i + 1) * q])
        # t: the k-th largest coarse maximum. Partitioned as int16 in place: the order is
        # the value order among values >= +0, so a k-th largest >= +0 is the value's;
        # one below (fewer than k maxima >= +0, i.e. t < 0 by value) makes h <= 0 below
        # either way, so it is taken as -inf.
        bits = coarse.numpy()
        bits.partition(bits.shape[1] - k, axis=1)
        kth = np.ascontiguousarray(bits[:, bits.shape[1] - k])
        t = torch.from_numpy(kth).view(torch.bfloat16).double().numpy()
        h = self.threshold(x, np.where(kth >= 0, t, -np.inf))
        top = np.empty((r, k), dtype=np.float32)
        low = h <= 0  # int16 comparisons hold for thresholds > 0 only: score these directly
        if low.any():
            top[low] = self._direct(x[low])
        if low.all():
            return top
        # The threshold as the int16 bits of the largest bfloat16 <= h (> 0: same order).
        h_b = torch.from_numpy(np.where(low, np.inf, h).astype(np.float32)).bfloat16()
        h_b = torch.where(h_b.double() > torch.from_numpy(h),
                          torch.nextafter(h_b, torch.zeros_like(h_b)), h_b)
        h_i = h_b.view(torch.int16).numpy()[:, None]
        hit_rows, hit_vals = [], []
        counts = np.empty((n_ch + 1, r), dtype=np.int32)  # per chunk, rows' candidates
        counts[0] = 0
        for i in range(n_ch):  # pass 2: the scores that reach h, computed exactly
            flat = np.flatnonzero(self._screen(xb, tile, i).numpy() >= h_i).astype(np.int32)
            row, col = np.divmod(flat, chunk)  # rows ascending
            counts[i + 1] = np.bincount(row, minlength=r)
            hit_rows.append(row)
            hit_vals.append(self._exact(xt, self.cohort[i * chunk:(i + 1) * chunk], row, col))
        # Each row's candidates side by side: chunk i's go after those of chunks < i.
        np.cumsum(counts, axis=0, out=counts)
        width = int(counts[-1].max())
        cand = np.full((r, width), -np.inf, dtype=np.float32)
        for i, (row, vals) in enumerate(zip(hit_rows, hit_vals)):
            first = np.searchsorted(row, row)  # index of each row's first candidate here
            pos = counts[i][row] + np.arange(len(row), dtype=np.int32) - first
            cand[row, pos] = vals.numpy()
        cand.partition(width - k, axis=1)
        got = np.sort(cand[:, width - k:], axis=1)
        top[~low] = got[~low]
        return top

    def _direct(self, x: np.ndarray) -> np.ndarray:
        """The top k of all float32 scores, a row at a time (one product shape, so a row's
        scores do not depend on its neighbours), for rows whose threshold is <= 0."""
        c = self.cohort.numpy()
        top = np.empty((len(x), self.k), dtype=np.float32)
        for i in range(len(x)):
            top[i] = np.partition(x[i:i + 1] @ c.T, self.m - self.k, axis=1)[0, self.m - self.k:]
        top.sort(axis=1)
        return top

    @staticmethod
    def _exact(xt, cohort, row: np.ndarray, col: np.ndarray):
        """float32 dot products ``xt[row[i]] . cohort[col[i]]`` (``row`` ascending)."""
        import torch

        counts = np.bincount(row, minlength=len(xt))
        crow = np.zeros(len(xt) + 1, dtype=np.int64)
        np.cumsum(counts, out=crow[1:])
        with warnings.catch_warnings():  # "sparse CSR support is in beta state"
            warnings.simplefilter("ignore", UserWarning)
            pattern = torch.sparse_csr_tensor(
                torch.from_numpy(crow), torch.from_numpy(col.astype(np.int64)),
                torch.zeros(len(row)), size=(len(xt), len(cohort)), check_invariants=False)
        return torch.sparse.sampled_addmm(pattern, xt, cohort.T, beta=0.0).values()
