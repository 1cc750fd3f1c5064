"""Decision thresholds for the operating points users ask for: EER, FAR 1 %, FAR 0.1 %.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = np.r_[rng.normal(3, 1, 2000), rng.normal(0, 1, 20000)]
    >>> y = np.r_[np.ones(2000), np.zeros(20000)]
    >>> rows = threshold_table(s, y)
    >>> [r["operating_point"] for r in rows]
    ['EER', 'FAR 1%', 'FAR 0.1%']
    >>> bool(rows[1]["far"] <= 0.01)
    True
"""

from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

from TrainAndTest.metrics.error_rates import det_curve, eer_from_curve


def threshold_table(
    scores: Sequence[float], labels: Sequence[int], fars: Sequence[float] = (0.01, 0.001)
) -> List[Dict[str, float]]:
    """Thresholds (accept when ``score >= threshold``) and the error rates they give.

    Args:
        scores, labels: trial scores and 1/0 target labels.
        fars: target false-acceptance rates; each row uses the lowest threshold whose FAR
            does not exceed it (so the miss rate is as low as that allows).

    Returns:
        Rows with ``operating_point``, ``threshold``, ``far`` and ``frr`` (fractions).
    """
    curve = det_curve(scores, labels)
    eer, thr = eer_from_curve(curve)
    rows = [{"operating_point": "EER", "threshold": thr, "far": eer, "frr": eer}]
    for far in fars:
        k = int(np.argmax(curve.p_fa <= far))  # p_fa is non-increasing; the last point is 0
        rows.append({"operating_point": f"FAR {far * 100:g}%",
                     "threshold": float(curve.thresholds[k]),
                     "far": float(curve.p_fa[k]), "frr": float(curve.p_miss[k])})
    return rows


def threshold_rows_from_metrics(
    metrics: Dict[str, float], fars: Sequence[float] = (0.01, 0.001)
) -> List[Dict[str, float]]:
    """The rows of :func:`threshold_table` from streamed metrics.

    Args:
        metrics: output of :meth:`TrainAndTest.metrics.external.ExternalDet.metrics`
            called with these ``fars`` (keys ``eer``, ``eer_threshold``,
            ``far_threshold@<far>``, ``far@<far>``, ``frr@<far>``).
        fars: the false-acceptance targets.

    Example:
        >>> m = {"eer": 0.1, "eer_threshold": 0.5, "far_threshold@0.01": 0.9,
        ...      "far@0.01": 0.008, "frr@0.01": 0.3}
        >>> [r["operating_point"] for r in threshold_rows_from_metrics(m, (0.01,))]
        ['EER', 'FAR 1%']
    """
    rows = [{"operating_point": "EER", "threshold": metrics["eer_threshold"],
             "far": metrics["eer"], "frr": metrics["eer"]}]
    for far in fars:
        rows.append({"operating_point": f"FAR {far * 100:g}%",
                     "threshold": metrics[f"far_threshold@{far:g}"],
                     "far": metrics[f"far@{far:g}"], "frr": metrics[f"frr@{far:g}"]})
    return rows


def format_threshold_table(rows: List[Dict[str, float]]) -> str:
    """Markdown table of :func:`threshold_table` rows."""
    lines = ["| operating point | threshold | FAR % | FRR % |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['operating_point']} | {r['threshold']:.6g} | "
                     f"{100 * r['far']:.3f} | {100 * r['frr']:.3f} |")
    return "\n".join(lines) + "\n"
