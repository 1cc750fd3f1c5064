"""Exact EER, minDCF and FAR thresholds of more trials than fit in memory: an external sort.

:func:`TrainAndTest.metrics.error_rates.compute_metrics` sorts every score at once. Here
trials arrive in blocks (:meth:`ExternalDet.add`); every ``run_size`` trials are sorted
and spilled to a temporary run file (score float64 + label int8, 9 bytes a trial), and
:meth:`ExternalDet.metrics` merges the runs (a buffer of ``run_size / runs`` trials per
run) and walks the merged order once, computing each operating point from the counts of
trials below it. No approximation: the operating points, and therefore the EER, minDCF
and their thresholds, are the ones ``det_curve`` gives, computed with the same floating
point expressions, so the results are bit-identical to the in-memory functions (tested).
actDCF and Cllr need no sort; they are sums over blocks and agree with the in-memory
values to rounding (about 1e-15 relative).

Memory: about ``run_size * 17`` bytes while sorting a run and ``run_size * 9`` bytes of
merge buffers, whatever the number of trials; disk: 9 bytes a trial in ``tmp_dir``
(removed when done).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = np.round(rng.normal(size=1000), 2); y = (rng.random(1000) < 0.3).astype(int)
    >>> ext = ExternalDet(run_size=128)
    >>> for i in range(0, 1000, 100):
    ...     ext.add(s[i:i + 100], y[i:i + 100])
    >>> from TrainAndTest.metrics.error_rates import compute_metrics
    >>> ext.metrics((0.01,))["eer"] == compute_metrics(s, y, (0.01,))["eer"]
    True
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

DEFAULT_RUN_SIZE = 4_000_000
"""Trials sorted in memory at a time (about 70 MB while sorting)."""


class ExternalDet:
    """Accumulate (score, label) blocks and compute exact detection metrics.

    Args:
        run_size: trials sorted in memory at a time; memory is ``O(run_size)``.
        tmp_dir: where run files go (default: ``$TMPDIR``); a private sub-directory is
            made and removed by :meth:`close` (also on garbage collection).
        calibrated: also accumulate actDCF and Cllr sums (scores are LLRs).
        p_targets: priors of the actDCF sums (with ``calibrated``).
    """

    def __init__(self, run_size: int = DEFAULT_RUN_SIZE, tmp_dir: Optional[str] = None,
                 calibrated: bool = False, p_targets: Sequence[float] = ()):
        if run_size < 1:
            raise ValueError(f"run_size must be >= 1, got {run_size}")
        self.run_size = int(run_size)
        self.tmp_root = tmp_dir
        self.calibrated = calibrated
        self.p_targets = tuple(p_targets)
        self._dir: Optional[str] = None
        self._runs: List[Tuple[str, int]] = []
        self._pend_s: List[np.ndarray] = []
        self._pend_l: List[np.ndarray] = []
        self._pending = 0
        self.n_target = 0
        self.n_nontarget = 0
        self._cllr = [0.0, 0.0]  # sum of log(1+e^-s) over targets, log(1+e^s) over non-targets
        self._act = {p: [0, 0] for p in self.p_targets}  # misses, false alarms

    def add(self, scores: np.ndarray, labels: np.ndarray) -> None:
        """Add a block of trials (scores finite; labels 1 target, 0 non-target).

        Raises:
            ValueError: a NaN or infinite score, or lengths that differ.
        """
        s = np.asarray(scores, dtype=np.float64).ravel()
        lab = np.asarray(labels).ravel().astype(bool)
        if s.shape != lab.shape:
            raise ValueError(f"{s.size} scores but {lab.size} labels")
        if not np.all(np.isfinite(s)):
            raise ValueError("scores are NaN or infinite")
        n_tar = int(lab.sum())
        self.n_target += n_tar
        self.n_nontarget += s.size - n_tar
        if self.calibrated:
            self._cllr[0] += float(np.sum(np.logaddexp(0.0, -s[lab])))
            self._cllr[1] += float(np.sum(np.logaddexp(0.0, s[~lab])))
            for p in self.p_targets:
                theta = np.log((1.0 - p) / p)
                self._act[p][0] += int(np.sum(s[lab] < theta))
                self._act[p][1] += int(np.sum(s[~lab] >= theta))
        self._pend_s.append(s)
        self._pend_l.append(lab.astype(np.int8))
        self._pending += s.size
        while self._pending >= self.run_size:
            self._spill(self.run_size)

    def _take_pending(self, n: int) -> Tuple[np.ndarray, np.ndarray]:
        s = np.concatenate(self._pend_s)
        lab = np.concatenate(self._pend_l)
        self._pend_s, self._pend_l = [s[n:]], [lab[n:]]
        self._pending = s.size - n
        return s[:n], lab[:n]

    def _spill(self, n: int) -> None:
        s, lab = self._take_pending(n)
        order = np.argsort(s, kind="stable")
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="external_det.", dir=self.tmp_root)
        path = os.path.join(self._dir, f"run{len(self._runs)}")
        with open(path, "wb") as f:
            s[order].tofile(f)
            lab[order].tofile(f)
        self._runs.append((path, n))

    def _merged(self) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Sorted chunks of every trial added: the in-memory rest plus the merged runs."""
        runs: List[_Run] = []
        if self._pending:
            s, lab = self._take_pending(self._pending)
            order = np.argsort(s, kind="stable")
            runs.append(_Run.in_memory(s[order], lab[order]))
        if self._runs:
            per_run = max(self.run_size // (len(self._runs) + 1), 4096)
            runs += [_Run(path, n, per_run) for path, n in self._runs]
        while runs:
            live = [r for r in runs if r.more]
            bound = min((r.s[-1] for r in live), default=np.inf)
            parts_s, parts_l = [], []
            for r in runs:
                k = int(np.searchsorted(r.s, bound, side="right"))
                parts_s.append(r.s[:k])
                parts_l.append(r.lab[:k])
                r.consume(k)
            runs = [r for r in runs if r.s.size or r.more]
            s = np.concatenate(parts_s)
            lab = np.concatenate(parts_l)
            if len(parts_s) > 1:
                order = np.argsort(s, kind="stable")  # timsort: merges the sorted parts
                s, lab = s[order], lab[order]
            if s.size:
                yield s, lab

    def metrics(self, p_targets: Sequence[float] = (0.01,), fars: Sequence[float] = (),
                c_miss: float = 1.0, c_fa: float = 1.0) -> Dict[str, float]:
        """EER, minDCF per prior (and actDCF, Cllr when calibrated) of every trial added.

        Returns the keys of :func:`~TrainAndTest.metrics.error_rates.compute_metrics`
        (``eer``, ``eer_threshold``, ``min_dcf@<p>``, ``min_dcf_threshold@<p>``,
        ``act_dcf@<p>``, ``cllr``, ``n_target``, ``n_nontarget``), plus for each ``far``
        the ``far_threshold@<far>``, ``far@<far>``, ``frr@<far>`` of the lowest threshold
        whose false-acceptance rate does not exceed it (as in ``threshold_table``).

        Raises:
            ValueError: no target or no non-target trials.
        """
        n_tar, n_non = self.n_target, self.n_nontarget
        if n_tar == 0 or n_non == 0:
            raise ValueError(f"need both target and non-target trials; got {n_tar} target "
                             f"and {n_non} non-target")
        for p in p_targets:
            if not 0.0 < p < 1.0:
                raise ValueError(f"p_target must be in (0, 1), got {p}")
        sweep = _Sweep(n_tar, n_non, p_targets, fars, c_miss, c_fa)
        try:
            for s, lab in self._merged():
                sweep.chunk(s, lab)
        finally:
            self.close()
        out = sweep.finish()
        if self.calibrated:
            for p in self.p_targets:
                miss, fa = self._act[p]
                norm = min(p, 1.0 - p)
                out[f"act_dcf@{p:g}"] = (p * miss / n_tar + (1.0 - p) * fa / n_non) / norm
            out["cllr"] = (self._cllr[0] / n_tar + self._cllr[1] / n_non) / (2.0 * np.log(2.0))
        out["n_target"] = n_tar
        out["n_nontarget"] = n_non
        return out

    @property
    def num_runs(self) -> int:
        """Run files spilled so far."""
        return len(self._runs)

    def close(self) -> None:
        """Remove the run files."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self._runs = []

    def __del__(self):
        self.close()


class _Run:
    """A sorted run read a buffer at a time."""

    def __init__(self, path: Optional[str], n: int, chunk: int):
        self.path, self.n, self.chunk = path, n, chunk
        self.pos = 0  # next trial of the file to read
        self.s = np.empty(0)
        self.lab = np.empty(0, dtype=np.int8)
        if path is not None:
            self._fill()

    @classmethod
    def in_memory(cls, s: np.ndarray, lab: np.ndarray) -> _Run:
        r = cls(None, s.size, s.size)
        r.s, r.lab, r.pos = s, lab, s.size
        return r

    @property
    def more(self) -> bool:
        """Trials in the file beyond the buffer."""
        return self.pos < self.n

    def _fill(self) -> None:
        k = min(self.chunk, self.n - self.pos)
        with open(self.path, "rb") as f:
            f.seek(8 * self.pos)
            s = np.fromfile(f, dtype=np.float64, count=k)
            f.seek(8 * self.n + self.pos)
            lab = np.fromfile(f, dtype=np.int8, count=k)
        self.s = np.concatenate([self.s, s]) if self.s.size else s
        self.lab = np.concatenate([self.lab, lab]) if self.lab.size else lab
        self.pos += k

    def consume(self, k: int) -> None:
        self.s, self.lab = self.s[k:], self.lab[k:]
        if not self.s.size and self.more:
            self._fill()


class _Sweep:
    """Operating points of a score-sorted stream, folded into EER/minDCF/FAR state.

    A point sits at the first trial of each distinct score (threshold = that score,
    rejecting the trials before it), plus the final 'accept nothing' point; the formulas
    are those of ``det_curve``, ``eer_from_curve`` and ``min_dcf_from_curve``.
    """

    def __init__(self, n_tar, n_non, p_targets, fars, c_miss, c_fa):
        self.n_tar, self.n_non = n_tar, n_non
        self.p_targets, self.fars = tuple(p_targets), tuple(fars)
        self.c_miss, self.c_fa = c_miss, c_fa
        self.rej_tar = 0
        self.rej_non = 0
        self.last: Optional[float] = None
        self.prev: Optional[Tuple[float, float, float]] = None  # (pm, pf, thr) of last point
        self.eer: Optional[Tuple[float, float]] = None
        self.best = {p: (np.inf, np.inf) for p in self.p_targets}
        self.far_rows: Dict[float, Tuple[float, float, float]] = {}

    def chunk(self, s: np.ndarray, lab: np.ndarray) -> None:
        tar = lab.astype(np.int64)
        cum_tar = self.rej_tar + np.cumsum(tar) - tar  # targets strictly before each trial
        idx = np.arange(s.size, dtype=np.int64)
        cum_non = self.rej_non + idx - (cum_tar - self.rej_tar)
        start = np.empty(s.size, dtype=bool)
        start[0] = self.last is None or s[0] != self.last
        start[1:] = s[1:] != s[:-1]
        rej_tar = cum_tar[start]
        rej_non = cum_non[start]
        thr = s[start]
        self.rej_tar += int(tar.sum())
        self.rej_non += s.size - int(tar.sum())
        self.last = float(s[-1])
        if thr.size:
            self._points(rej_tar / self.n_tar, 1.0 - rej_non / self.n_non, thr)

    def _points(self, pm: np.ndarray, pf: np.ndarray, thr: np.ndarray) -> None:
        if self.eer is None:
            diff = pm - pf
            k = int(np.searchsorted(diff, 0.0, side="left"))
            if k < diff.size:
                if diff[k] == 0.0:
                    self.eer = (float(pm[k]), float(thr[k]))
                else:
                    if k > 0:
                        pm0, pf0, t0 = pm[k - 1], pf[k - 1], thr[k - 1]
                    else:
                        pm0, pf0, t0 = self.prev
                    self.eer = _interpolate(pm0, pf0, t0, pm[k], pf[k], thr[k])
        for p in self.p_targets:
            cost = self.c_miss * p * pm + self.c_fa * (1.0 - p) * pf
            k = int(np.argmin(cost))
            if cost[k] < self.best[p][0]:
                self.best[p] = (float(cost[k]), float(thr[k]))
        for far in self.fars:
            if far not in self.far_rows:
                hit = np.flatnonzero(pf <= far)
                if hit.size:
                    k = int(hit[0])
                    self.far_rows[far] = (float(thr[k]), float(pf[k]), float(pm[k]))
        self.prev = (pm[-1], pf[-1], thr[-1])

    def finish(self) -> Dict[str, float]:
        # The 'accept nothing' point: threshold +inf, P_miss 1, P_fa 0.
        inf_thr = np.nextafter(self.last, np.inf)  # _finite_threshold of error_rates
        pm = np.array([self.rej_tar / self.n_tar])
        pf = np.array([1.0 - self.rej_non / self.n_non])
        if self.eer is None:
            pm0, pf0, t0 = self.prev
            d0, d1 = pm0 - pf0, pm[0] - pf[0]
            if d1 == 0.0:
                self.eer = (float(pm[0]), float(inf_thr))
            else:
                self.eer = _interpolate(pm0, pf0, t0, pm[0], pf[0], inf_thr)
            del d0
        for p in self.p_targets:
            cost = self.c_miss * p * pm + self.c_fa * (1.0 - p) * pf
            if cost[0] < self.best[p][0]:
                self.best[p] = (float(cost[0]), float("inf"))
        for far in self.fars:
            self.far_rows.setdefault(far, (float("inf"), float(pf[0]), float(pm[0])))
        out: Dict[str, float] = {"eer": self.eer[0], "eer_threshold": self.eer[1]}
        for p in self.p_targets:
            norm = min(self.c_miss * p, self.c_fa * (1.0 - p))
            out[f"min_dcf@{p:g}"] = self.best[p][0] / norm
            out[f"min_dcf_threshold@{p:g}"] = self.best[p][1]
        for far in self.fars:
            thr, f, m = self.far_rows[far]
            out[f"far_threshold@{far:g}"], out[f"far@{far:g}"], out[f"frr@{far:g}"] = thr, f, m
        return out


def _interpolate(pm0, pf0, t0, pm1, pf1, t1) -> Tuple[float, float]:
    """EER and threshold on the segment between two points (as ``eer_from_curve``)."""
    d0, d1 = pm0 - pf0, pm1 - pf1
    a = d0 / (d0 - d1)
    eer = pm0 + a * (pm1 - pm0)
    return float(eer), float(t0 + a * (t1 - t0))
