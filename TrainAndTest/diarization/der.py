"""Diarization error rate (DER) with a collar, overlap scored or skipped.

Conventions (those of NIST md-eval and ``pyannote.metrics.diarization.DiarizationErrorRate``,
which the tests use as the reference):

* The scored time is the UEM (by default the recording, ``0 .. duration``) minus a collar
  of ``collar`` seconds *in total* centred on every reference turn boundary (``collar=0.25``
  removes 0.125 s on each side, pyannote's meaning of the number), and minus the time where
  two or more reference speakers talk when ``skip_overlap``.
* In every stretch of scored time with ``R`` reference and ``H`` hypothesis speakers,
  missed speech is ``max(0, R - H)``, false alarm ``max(0, H - R)`` and confusion
  ``min(R, H) - correct``, where ``correct`` counts the reference speakers whose mapped
  hypothesis speaker is also active. The mapping is one-to-one and maximises the total
  co-occurrence time (Hungarian algorithm, scipy). Each part is in seconds, weighted by
  the number of speakers; ``total`` is the reference speaker time; DER = (miss + false
  alarm + confusion) / total.

Example:
    >>> from TrainAndTest.diarization.rttm import Turn
    >>> ref = [Turn(0, 4, "a"), Turn(4, 8, "b")]
    >>> hyp = [Turn(0, 6, "x"), Turn(6, 8, "y")]
    >>> r = diarization_error(ref, hyp, uem=(0, 8))
    >>> round(r.der, 3), r.confusion
    (0.25, 2.0)
    >>> diarization_error(ref, ref, uem=(0, 8)).der
    0.0
"""

from __future__ import annotations

from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from TrainAndTest.diarization.rttm import Region, Turn, speech_regions


class DerResult(NamedTuple):
    """The parts of a DER, in seconds."""

    total: float
    miss: float
    false_alarm: float
    confusion: float

    @property
    def der(self) -> float:
        """(miss + false alarm + confusion) / total; 0 for no reference speech and no error,
        inf for errors without reference speech."""
        err = self.miss + self.false_alarm + self.confusion
        if self.total <= 0:
            return 0.0 if err <= 0 else float("inf")
        return err / self.total

    def __add__(self, other):  # type: ignore[override]
        return DerResult(*(a + b for a, b in zip(self, other)))

    def percents(self) -> Tuple[float, float, float, float]:
        """(DER, miss, false alarm, confusion) in percent of the reference speech."""
        t = self.total if self.total > 0 else float("nan")
        return (100 * self.der, 100 * self.miss / t, 100 * self.false_alarm / t,
                100 * self.confusion / t)


ZERO = DerResult(0.0, 0.0, 0.0, 0.0)


def _subtract(regions: Sequence[Region], holes: Sequence[Region]) -> List[Region]:
    """``regions`` minus the union of ``holes`` (both lists of (start, end))."""
    holes = speech_regions([Turn(s, e, "") for s, e in holes])
    out = []
    for start, end in regions:
        cur = start
        for hs, he in holes:
            if he <= cur or hs >= end:
                continue
            if hs > cur:
                out.append((cur, hs))
            cur = max(cur, he)
        if cur < end:
            out.append((cur, end))
    return out


def scored_regions(ref: Sequence[Turn], uem: Region, collar: float = 0.0,
                   skip_overlap: bool = False) -> List[Region]:
    """The scored time: ``uem`` minus the collars and (with ``skip_overlap``) overlap.

    Example:
        >>> scored_regions([Turn(1, 2, "a")], (0, 3), collar=0.5)
        [(0, 0.75), (1.25, 1.75), (2.25, 3)]
    """
    holes = []
    if collar > 0:
        for t in sorted({b for turn in ref for b in (turn.start, turn.end)}):
            holes.append((t - collar / 2, t + collar / 2))
    if skip_overlap:
        holes.extend(_overlaps(ref))
    return _subtract([uem], holes)


def _overlaps(turns: Sequence[Turn]) -> List[Region]:
    """Time where turns of two different speakers overlap."""
    out = []
    turns = sorted(turns)
    for i, a in enumerate(turns):
        for b in turns[i + 1:]:
            if b.start >= a.end:
                break
            if b.speaker != a.speaker:
                out.append((b.start, min(a.end, b.end)))
    return out


def _activity(turns: Sequence[Turn], edges: np.ndarray) -> Tuple[List[str], np.ndarray]:
    """(speakers, [intervals, speakers] bool) of the elementary intervals between ``edges``."""
    speakers = sorted({t.speaker for t in turns})
    index = {s: i for i, s in enumerate(speakers)}
    act = np.zeros((max(len(edges) - 1, 0), len(speakers)), dtype=bool)
    for start, end, spk in turns:
        lo, hi = np.searchsorted(edges, [start, end])
        act[lo:hi, index[spk]] = True
    return speakers, act


def diarization_error(ref: Sequence[Turn], hyp: Sequence[Turn], uem: Optional[Region] = None,
                      collar: float = 0.0, skip_overlap: bool = False) -> DerResult:
    """The DER parts of one recording (see the module docstring).

    Args:
        ref, hyp: reference and hypothesis turns.
        uem: the scored span (None: from the earliest to the latest turn of either).
        collar: seconds in total removed around each reference boundary.
        skip_overlap: do not score reference overlap.
    """
    from scipy.optimize import linear_sum_assignment

    if uem is None:
        every = list(ref) + list(hyp)
        if not every:
            return ZERO
        uem = (min(t.start for t in every), max(t.end for t in every))
    scored = scored_regions(ref, uem, collar, skip_overlap)
    bounds = [b for s, e in scored for b in (s, e)]
    bounds += [b for t in list(ref) + list(hyp) for b in (t.start, t.end)]
    edges = np.unique(np.asarray(bounds, dtype=np.float64))
    if len(edges) < 2:
        return ZERO
    mids = (edges[:-1] + edges[1:]) / 2
    in_scored = np.zeros(len(mids), dtype=bool)
    for s, e in scored:
        in_scored |= (mids > s) & (mids < e)
    w = np.diff(edges) * in_scored
    _, R = _activity(ref, edges)
    _, H = _activity(hyp, edges)
    n_ref, n_hyp = R.sum(1), H.sum(1)
    correct = 0.0
    if R.shape[1] and H.shape[1]:
        co = (R.T.astype(np.float64) * w) @ H.astype(np.float64)
        rows, cols = linear_sum_assignment(-co)
        correct = float(co[rows, cols].sum())
    return DerResult(
        total=float(w @ n_ref),
        miss=float(w @ np.maximum(0, n_ref - n_hyp)),
        false_alarm=float(w @ np.maximum(0, n_hyp - n_ref)),
        confusion=max(0.0, float(w @ np.minimum(n_ref, n_hyp)) - correct),
    )


def score_recordings(ref: Mapping[str, Sequence[Turn]], hyp: Mapping[str, Sequence[Turn]],
                     durations: Mapping[str, float], collar: float = 0.0,
                     skip_overlap: bool = False) -> Tuple[Dict[str, DerResult], DerResult]:
    """Per-recording and overall DER over the recordings of ``ref``; each is scored over
    ``0 .. durations[reco]``. A recording missing from ``hyp`` is all missed speech.

    Raises:
        KeyError: a reference recording has no duration.
    """
    per: Dict[str, DerResult] = {}
    overall = ZERO
    for reco in sorted(ref):
        if reco not in durations:
            raise KeyError(f"no duration for recording '{reco}' (reco2dur)")
        per[reco] = diarization_error(ref[reco], hyp.get(reco, []), (0.0, durations[reco]),
                                      collar, skip_overlap)
        overall = overall + per[reco]
    return per, overall


def results_table(per: Mapping[str, DerResult], overall: DerResult) -> List[str]:
    """Markdown table lines: one row per recording and the overall row (percent)."""
    lines = ["| recording | scored speech s | DER % | miss % | false alarm % | confusion % |",
             "|---|---|---|---|---|---|"]
    for name, r in list(per.items()) + [("**all**", overall)]:
        der, miss, fa, conf = r.percents()
        lines.append(f"| {name} | {r.total:.2f} | {der:.2f} | {miss:.2f} | {fa:.2f} | {conf:.2f} |")
    return lines
