"""Calibration on score files: labelled scores in, calibrated (LLR) score files out.

The file side of :mod:`TrainAndTest.backend.calibration`, shared by the CLIs that fit a
calibration (``bin/calibrate``, ``bin/fit_operating_point``), apply a stored one
(``bin/apply_calibration``) and report thresholds (``bin/threshold_report``). Trial lists and
score files are read in blocks (:mod:`TrainAndTest.io.trial_stream`), scores matched to trials
by their (enrol, test) pair; a calibrated file is written a block at a time under a temporary
name and renamed when complete, so its length does not matter.

Example:
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = open(f"{d}/trials", "w").write("a b target\\na c nontarget\\n")
    >>> _ = open(f"{d}/scores", "w").write("a c -1.0\\na b 2.0\\n")
    >>> s, y, q = read_labelled_scores(f"{d}/trials", f"{d}/scores")
    >>> s.tolist(), y.tolist(), q
    ([2.0, -1.0], [1, 0], None)
    >>> from TrainAndTest.backend.calibration import LogisticCalibration
    >>> cal = LogisticCalibration(); cal.weights, cal.bias = np.array([2.0]), 1.0
    >>> calibrate_score_file(cal, f"{d}/scores", f"{d}/llr")
    2
    >>> open(f"{d}/llr").read().split()
    ['a', 'c', '-1.000000', 'a', 'b', '5.000000']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

import numpy as np

from TrainAndTest.io.trials import TrialsError

if TYPE_CHECKING:
    from TrainAndTest.backend.calibration import LogisticCalibration


#: where a recipe experiment keeps its operating point: ``<exp>/calibration/calibration.npz``
#: (read by :mod:`TrainAndTest.inference.operating_point` too)
CALIBRATION_DIR = "calibration"
CALIBRATION_FILE = "calibration.npz"

#: quality(enrol ids, test ids) -> ``[n, q]`` features of a block of trials
Quality = Callable[..., np.ndarray]


def duration_quality(utt2dur: str) -> Quality:
    """QMF duration features of trials: log durations of the shorter and the longer side.

    Args:
        utt2dur: a Kaldi ``utt2dur`` covering every id of the trials it will be asked about.

    Returns:
        ``quality(enrol, test)`` taking two id columns (pyarrow string arrays) and returning
        :func:`~TrainAndTest.backend.calibration.quality_features`; an id without a duration
        raises :class:`TrialsError` naming the file and a few ids.
    """
    import pyarrow as pa

    from Process_Data.data_dir import read_kv
    from TrainAndTest.backend.calibration import quality_features
    from TrainAndTest.io.trial_stream import IdVocabulary, id_rows

    table = read_kv(utt2dur)
    ids = IdVocabulary(list(table))
    durations = np.array([float(v) for v in table.values()])

    def quality(enrol, test) -> np.ndarray:
        sides = []
        for col in (enrol, test):
            rows = id_rows(col, ids)
            if np.any(rows < 0):
                missing = sorted(set(col.take(pa.array(np.flatnonzero(rows < 0))).to_pylist()))
                raise TrialsError(f"{len(missing)} ids have no duration in {utt2dur} "
                                  f"(e.g. {', '.join(missing[:5])})")
            sides.append(durations[rows])
        return quality_features(*sides)

    return quality


def read_labelled_scores(
    trials: str,
    scores: str,
    block_size: Optional[int] = None,
    allow_missing: bool = False,
    quality: Optional[Quality] = None,
) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """The scores of a labelled trial list, in list order, held in memory (9 bytes a trial).

    Args:
        trials: Kaldi (``enrol test target|nontarget``) or VoxCeleb (``1|0 enrol test``) list.
        scores: ``enrol test score`` lines, matched to the trials by pair (any order).
        block_size: trials read at a time (default ``trial_stream.DEFAULT_BLOCK_SIZE``).
        allow_missing: drop trials without a score instead of failing.
        quality: also return the trials' quality features (e.g. :func:`duration_quality`).

    Returns:
        ``(scores float64, labels int 1/0, quality features or None)``.

    Raises:
        TrialsError: unlabelled trials, only one class, malformed lines, missing scores.
    """
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE, iter_matched_scores

    values: List[np.ndarray] = []
    labels: List[np.ndarray] = []
    feats: List[np.ndarray] = []
    for mb in iter_matched_scores(trials, scores, block_size or DEFAULT_BLOCK_SIZE,
                                  allow_missing):
        if np.any(mb.trials.labels < 0):
            raise TrialsError(f"{trials}: calibration needs labelled trials")
        values.append(mb.scores[mb.kept])
        labels.append(mb.trials.labels[mb.kept])
        if quality is not None:
            feats.append(quality(mb.trials.enrol.filter(mb.kept), mb.trials.test.filter(mb.kept)))
    y = np.concatenate(labels).astype(int) if labels else np.zeros(0, dtype=int)
    if y.size == 0 or y.min() == y.max():
        raise TrialsError(f"{trials}: needs target and nontarget trials with scores in {scores}")
    return np.concatenate(values), y, (np.concatenate(feats) if feats else None)


def load_calibration(path, score_only: bool = False) -> LogisticCalibration:
    """A :class:`LogisticCalibration` saved with ``np.savez(path, **cal.state())``.

    Args:
        path: the ``.npz``, or an experiment dir (its ``calibration/calibration.npz``) or
            its ``calibration`` dir.
        score_only: refuse a calibration fitted with quality measures (a score file alone
            cannot be calibrated by it).

    Raises:
        ValueError: naming the file when it is missing, not a calibration file, or (with
        ``score_only``) has quality terms.
    """
    from TrainAndTest.backend.calibration import LogisticCalibration

    path = Path(path)
    if path.is_dir():
        path = (path if path.name == CALIBRATION_DIR else path / CALIBRATION_DIR) / CALIBRATION_FILE
    try:
        with np.load(path) as z:
            cal = LogisticCalibration.from_state({k: z[k] for k in z.files})
    except (OSError, KeyError, ValueError) as e:
        raise ValueError(f"{path}: not a calibration file ({e})") from None
    if score_only and len(cal.weights) != 1:
        raise ValueError(f"{path}: fitted with {len(cal.weights) - 1} quality measures; "
                         "a score-only calibration is needed (bin/calibrate --utt2dur for these)")
    return cal


def calibrate_score_file(
    cal: LogisticCalibration,
    scores_in: str,
    scores_out: str,
    quality: Optional[Quality] = None,
    block_size: Optional[int] = None,
) -> int:
    """Write ``cal``'s LLRs of every line of ``scores_in`` to ``scores_out``; returns the count.

    ``quality`` must give the features ``cal`` was fitted with (None for a score-only one).
    The output is written under a temporary name and renamed when complete, ``block_size``
    lines at a time (default ``trial_stream.DEFAULT_BLOCK_SIZE``).
    """
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE, ScoreWriter, iter_score_blocks

    Path(scores_out).parent.mkdir(parents=True, exist_ok=True)
    with ScoreWriter(scores_out) as out:
        for sb in iter_score_blocks(scores_in, block_size or DEFAULT_BLOCK_SIZE):
            q = quality(sb.enrol, sb.test) if quality is not None else None
            out.write(sb.enrol, sb.test, cal.transform(sb.scores, q))
    return out.count
