"""The verifier's stored operating point: score calibration and a threshold table.

Layout in an experiment dir (written by the calibration stage, read by ``verify`` and
copied into export sidecars)::

    <exp>/calibration/calibration.npz   LogisticCalibration state (llr = a * score + b)
    <exp>/calibration/thresholds.json   {"scoring": "cosine", "default": "EER",
                                         "rows": [{"operating_point", "threshold", "far",
                                                   "frr"}, ...]}

Thresholds are on the raw score named by ``scoring`` (accept when ``score >= threshold``).

Example:
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> rows = [{"operating_point": "EER", "threshold": 0.5, "far": 0.1, "frr": 0.1},
    ...         {"operating_point": "FAR 1%", "threshold": 0.7, "far": 0.01, "frr": 0.3}]
    >>> _ = write_thresholds(d, rows)
    >>> op = load_operating_point(d)
    >>> op.threshold(), op.threshold(target_far=0.01)
    (0.5, 0.7)
    >>> op.threshold(target_far=0.001)
    Traceback (most recent call last):
    ...
    ValueError: ...thresholds.json: no row for FAR 0.1%; rows: EER, FAR 1%
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from Process_Data.data_dir import atomic_savez
from TrainAndTest.backend.calibration_files import CALIBRATION_DIR, CALIBRATION_FILE

THRESHOLDS_FILE = "thresholds.json"


def _far_name(far: float) -> str:
    return f"FAR {far * 100:g}%"


def operating_point_dir(model_path) -> Path:
    """``<exp>/calibration`` of an exp dir or of a model file inside it."""
    p = Path(model_path)
    exp = p if p.is_dir() else p.parent
    return exp if exp.name == CALIBRATION_DIR else exp / CALIBRATION_DIR


def write_thresholds(
    exp_or_dir, rows: List[Dict[str, float]], scoring: str = "cosine", default: str = "EER"
) -> Path:
    """Write ``thresholds.json`` atomically; returns its path."""
    d = operating_point_dir(exp_or_dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / THRESHOLDS_FILE
    body = {
        "scoring": scoring,
        "default": default,
        "rows": [
            {k: (float(v) if k != "operating_point" else v) for k, v in r.items()} for r in rows
        ],
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=1) + "\n")
    os.replace(tmp, path)
    return path


class OperatingPoint(NamedTuple):
    """Calibration (a/b of ``llr = a * score + b``, or None) and the threshold table."""

    where: str
    scoring: str
    default: str
    rows: List[Dict[str, Any]]
    calibration: Optional[Dict[str, float]]

    def llr(self, score: float) -> Optional[float]:
        """Calibrated log-likelihood ratio of a score (None without calibration)."""
        if self.calibration is None:
            return None
        return self.calibration["scale"] * float(score) + self.calibration["offset"]

    def threshold(self, target_far: Optional[float] = None) -> Optional[float]:
        """Threshold of the default row, or of the row for ``target_far`` (ValueError
        naming the file and the rows when there is none); None without a table."""
        if not self.rows:
            if target_far is not None:
                raise ValueError(
                    f"{self.where}: no threshold table (the calibration stage "
                    "writes one); pass --threshold"
                )
            return None
        name = self.default if target_far is None else _far_name(target_far)
        for r in self.rows:
            if r["operating_point"] == name:
                return float(r["threshold"])
        raise ValueError(
            f"{self.where}/{THRESHOLDS_FILE}: no row for {name}; rows: "
            f"{', '.join(r['operating_point'] for r in self.rows)}"
        )

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form (export sidecars)."""
        return {
            "scoring": self.scoring,
            "default": self.default,
            "thresholds": self.rows,
            "calibration": self.calibration,
        }


def load_operating_point(model_path) -> OperatingPoint:
    """What ``<exp>/calibration`` holds (empty rows / None calibration when absent).

    Raises ValueError naming the file when it is unreadable or fitted with quality measures
    (a single score cannot be calibrated by it).
    """
    d = operating_point_dir(model_path)
    rows: List[Dict[str, Any]] = []
    scoring, default = "cosine", "EER"
    tpath = d / THRESHOLDS_FILE
    if tpath.is_file():
        try:
            body = json.loads(tpath.read_text())
            rows, scoring = list(body["rows"]), str(body.get("scoring", "cosine"))
            default = str(body.get("default", "EER"))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{tpath}: not a threshold table ({e})") from None
    calibration = None
    cpath = d / CALIBRATION_FILE
    if cpath.is_file():
        try:
            with np.load(cpath) as z:
                w, b = np.atleast_1d(z["weights"]), float(z["bias"])
        except (OSError, KeyError, ValueError) as e:
            raise ValueError(f"{cpath}: not a calibration file ({e})") from None
        if len(w) != 1:
            raise ValueError(
                f"{cpath}: fitted with {len(w) - 1} quality measures; verify "
                "needs a score-only calibration"
            )
        calibration = {"scale": float(w[0]), "offset": b}
    return OperatingPoint(str(d), scoring, default, rows, calibration)


def fit_operating_point(scores, labels, exp_dir, scoring: str = "cosine") -> Dict[str, float]:
    """Fit ``llr = a * score + b`` (logistic, prior 0.5) and the threshold table on
    calibration trials (training speakers held out of PLDA/cohort statistics), write both
    into ``<exp>/calibration/`` atomically, and return the RESULTS.md columns.

    Returns:
        ``{"actDCF(0.01)", "Cllr", "min-Cllr"}`` of the calibrated scores of these trials
        (an optimistic, in-sample figure: report the test set's with the same model).

    Example:
        >>> import tempfile
        >>> rng = np.random.default_rng(0)
        >>> s = np.r_[rng.normal(1, 1, 4000), rng.normal(-1, 1, 4000)]
        >>> y = np.r_[np.ones(4000), np.zeros(4000)].astype(int)
        >>> d = tempfile.mkdtemp()
        >>> m = fit_operating_point(s, y, d)
        >>> op = load_operating_point(d)
        >>> round(op.calibration["scale"], 1), abs(op.calibration["offset"]) < 0.1
        (2.0, True)
        >>> m["min-Cllr"] <= m["Cllr"] < 0.7
        True
    """
    from TrainAndTest.backend.calibration import LogisticCalibration, min_cllr
    from TrainAndTest.backend.thresholds import threshold_table
    from TrainAndTest.metrics.error_rates import compute_act_dcf, compute_cllr

    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=int)
    cal = LogisticCalibration().fit(s, y)
    d = operating_point_dir(exp_dir)
    d.mkdir(parents=True, exist_ok=True)
    atomic_savez(d / CALIBRATION_FILE, cal.state())
    write_thresholds(d, threshold_table(s, y), scoring=scoring)
    llr = cal.transform(s)
    return {
        "actDCF(0.01)": float(compute_act_dcf(llr, y, p_target=0.01)),
        "Cllr": float(compute_cllr(llr, y)),
        "min-Cllr": min_cllr(s, y),
    }


def threshold_report(
    op: OperatingPoint, lists: Sequence[Tuple[str, np.ndarray, np.ndarray]], fitted_on: str = ""
) -> str:
    """Markdown: the stored thresholds, and the error rates they give on other trial lists.

    The first rows of each operating point are the stored ones (FAR and FRR on the
    calibration trials: the targets); then, per list, the FAR and FRR that the same
    threshold gives on that list's scores (accept when ``score >= threshold``).

    Args:
        op: a loaded :class:`OperatingPoint` with a threshold table.
        lists: ``(name, scores, labels)`` per trial list, scores of ``op.scoring``.
        fitted_on: name of the calibration trials, for the header.

    Example:
        >>> op = OperatingPoint("exp/x/calibration", "cosine", "EER",
        ...                     [{"operating_point": "EER", "threshold": 0.5, "far": 0.1,
        ...                       "frr": 0.1}], None)
        >>> s, y = np.array([0.9, 0.4, 0.6, 0.1]), np.array([1, 1, 0, 0])
        >>> print(threshold_report(op, [("test/trials", s, y)]).splitlines()[-1])
        | EER | 0.5 | test/trials | 4 | 50.000 | 50.000 |
    """
    if not op.rows:
        raise ValueError(f"{op.where}: no threshold table ({THRESHOLDS_FILE})")
    cal = op.calibration
    lines = [
        f"# Thresholds of {Path(op.where).parent.name or op.where} ({op.scoring} scores)",
        "",
        f"Stored in `{op.where}/{THRESHOLDS_FILE}` (read by `verify`; default row "
        f"{op.default}), fitted on {fitted_on or 'the calibration trials'}"
        + (f"; calibration llr = {cal['scale']:.4f} * score {cal['offset']:+.4f}." if cal else "."),
        "Accept when the score is at least the threshold. The calibration rows are the targets;",
        "the other rows are the error rates the same threshold gives on each list.",
        "",
        "| operating point | threshold | trials | n | FAR % | FRR % |",
        "|---|---|---|---|---|---|",
    ]
    for r in op.rows:
        thr = float(r["threshold"])
        lines.append(f"| {r['operating_point']} | {thr:.6g} | calibration | | "
                     f"{100 * r['far']:.3f} | {100 * r['frr']:.3f} |")
        for name, scores, labels in lists:
            s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
            far = float(np.mean(s[~y] >= thr)) if (~y).any() else float("nan")
            frr = float(np.mean(s[y] < thr)) if y.any() else float("nan")
            lines.append(f"| {r['operating_point']} | {thr:.6g} | {name} | {len(s)} | "
                         f"{100 * far:.3f} | {100 * frr:.3f} |")
    return "\n".join(lines) + "\n"
