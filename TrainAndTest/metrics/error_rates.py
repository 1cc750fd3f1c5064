"""Detection error rates from verification scores: EER, minDCF, actual DCF and Cllr.

Every function sorts the scores once (O(n log n)) and walks the sorted array with
cumulative counts, so ten million trials take seconds and no N x N or per-threshold loop
is ever built. Tied scores are one operating point: a threshold accepts every trial whose
score is >= the threshold, so trials with equal scores are always accepted or rejected
together (the same operating points as ``sklearn.metrics.roc_curve(...,
drop_intermediate=False)``).

Conventions (NIST SRE): ``P_miss`` = fraction of target trials rejected, ``P_fa`` =
fraction of non-target trials accepted; the detection cost
``C_det = C_miss * P_miss * p_target + C_fa * P_fa * (1 - p_target)`` is normalised by
``min(C_miss * p_target, C_fa * (1 - p_target))``, so a system that always rejects or always
accepts costs at most 1.

Example:
    >>> import numpy as np
    >>> scores = np.array([0.9, 0.8, 0.3, 0.2]); labels = np.array([1, 1, 0, 0])
    >>> compute_eer(scores, labels)[0]
    0.0
    >>> round(compute_min_dcf(scores, labels, p_target=0.01)[0], 6)
    0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

import numpy as np

DEFAULT_P_TARGETS = (0.01, 0.001, 0.05)


@dataclass
class DetCurve:
    """Operating points of a detector, one per distinct score plus 'accept nothing'.

    Attributes:
        p_miss: miss rate at each threshold, non-decreasing (0 ... 1).
        p_fa: false-alarm rate at each threshold, non-increasing (1 ... 0).
        thresholds: the threshold of each point (accept when score >= threshold); the
            last one is ``+inf`` (accept nothing).
        n_target: number of target trials.
        n_nontarget: number of non-target trials.
    """

    p_miss: np.ndarray
    p_fa: np.ndarray
    thresholds: np.ndarray
    n_target: int
    n_nontarget: int


def _check(scores: np.ndarray, labels: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"{scores.size} scores but {labels.size} labels")
    if not np.all(np.isfinite(scores)):
        bad = np.flatnonzero(~np.isfinite(scores))
        raise ValueError(f"{bad.size} scores are NaN or infinite (first at index {bad[0]})")
    labels = labels.astype(bool)
    n_tar = int(labels.sum())
    if n_tar == 0 or n_tar == labels.size:
        raise ValueError(
            f"need both target and non-target trials; got {n_tar} target and "
            f"{labels.size - n_tar} non-target"
        )
    return scores, labels


def det_curve(scores: Sequence[float], labels: Sequence[int]) -> DetCurve:
    """All operating points of ``scores`` (higher = more likely target).

    Args:
        scores: one score per trial.
        labels: 1/True for target trials, 0/False for non-target trials.

    Returns:
        A :class:`DetCurve` with ``k + 1`` points for ``k`` distinct scores: the first
        threshold is the lowest score (accept all: ``P_miss = 0, P_fa = 1``), the last is
        ``+inf`` (accept nothing: ``P_miss = 1, P_fa = 0``).

    Example:
        >>> c = det_curve([0.1, 0.5, 0.5, 0.9], [0, 1, 0, 1])
        >>> c.p_miss.tolist(), c.p_fa.tolist()
        ([0.0, 0.0, 0.5, 1.0], [1.0, 0.5, 0.0, 0.0])
    """
    scores, labels = _check(scores, labels)
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    tar_sorted = labels[order]
    # Last index of each run of equal scores: cumulative counts there cover all ties.
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    cum_tar = np.cumsum(tar_sorted, dtype=np.int64)[last]
    cum_all = last.astype(np.int64) + 1
    n_tar = int(cum_tar[-1])
    n_non = labels.size - n_tar
    cum_non = cum_all - cum_tar
    # Threshold at distinct score k accepts scores >= s_k, i.e. rejects the runs before k.
    rej_tar = np.r_[0, cum_tar]
    rej_non = np.r_[0, cum_non]
    thresholds = np.r_[s[last], np.inf]
    return DetCurve(rej_tar / n_tar, 1.0 - rej_non / n_non, thresholds, n_tar, n_non)


def eer_from_curve(curve: DetCurve) -> Tuple[float, float]:
    """EER and its threshold from operating points (linear interpolation at the crossing).

    The EER is where the piecewise-linear DET (in probability space) crosses
    ``P_miss = P_fa``; the threshold is interpolated between the two neighbouring scores
    (the crossing score itself when it falls on a point).

    Returns:
        ``(eer, threshold)``, ``eer`` as a fraction in [0, 1].
    """
    pm, pf = curve.p_miss, curve.p_fa
    diff = pm - pf  # -1 ... +1, non-decreasing
    k = int(np.searchsorted(diff, 0.0, side="left"))  # first point with pm >= pf
    if diff[k] == 0.0:
        return float(pm[k]), float(_finite_threshold(curve, k))
    # Segment (k-1, k) crosses zero: pm[k-1] < pf[k-1] and pm[k] > pf[k].
    d0, d1 = diff[k - 1], diff[k]
    a = d0 / (d0 - d1)
    eer = pm[k - 1] + a * (pm[k] - pm[k - 1])
    t0 = curve.thresholds[k - 1]
    t1 = _finite_threshold(curve, k)
    return float(eer), float(t0 + a * (t1 - t0))


def _finite_threshold(curve: DetCurve, k: int) -> float:
    t = curve.thresholds[k]
    if np.isinf(t):  # 'accept nothing': just above the highest score
        hi = curve.thresholds[-2]
        return float(np.nextafter(hi, np.inf))
    return float(t)


def compute_eer(scores: Sequence[float], labels: Sequence[int]) -> Tuple[float, float]:
    """Equal error rate and its threshold.

    Args:
        scores: one score per trial (higher = more likely the same speaker).
        labels: 1 for target, 0 for non-target.

    Returns:
        ``(eer, threshold)`` with ``eer`` a fraction (0.05 = 5 %).

    Example:
        >>> compute_eer([3.0, 2.0, 1.0, 0.0], [0, 0, 1, 1])[0]
        1.0
    """
    return eer_from_curve(det_curve(scores, labels))


def min_dcf_from_curve(
    curve: DetCurve, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0
) -> Tuple[float, float]:
    """Normalised minimum detection cost and the threshold reaching it.

    Returns:
        ``(min_dcf, threshold)``; the threshold is ``+inf`` when rejecting everything is
        best.
    """
    if not 0.0 < p_target < 1.0:
        raise ValueError(f"p_target must be in (0, 1), got {p_target}")
    cost = c_miss * p_target * curve.p_miss + c_fa * (1.0 - p_target) * curve.p_fa
    norm = min(c_miss * p_target, c_fa * (1.0 - p_target))
    k = int(np.argmin(cost))
    return float(cost[k] / norm), float(curve.thresholds[k])


def compute_min_dcf(
    scores: Sequence[float],
    labels: Sequence[int],
    p_target: float = 0.01,
    c_miss: float = 1.0,
    c_fa: float = 1.0,
) -> Tuple[float, float]:
    """Normalised minimum DCF (NIST SRE definition) and its threshold.

    Example:
        >>> compute_min_dcf([3.0, 2.0, 1.0, 0.0], [0, 0, 1, 1], p_target=0.01)[0]
        1.0
    """
    return min_dcf_from_curve(det_curve(scores, labels), p_target, c_miss, c_fa)


def compute_act_dcf(
    llrs: Sequence[float],
    labels: Sequence[int],
    p_target: float = 0.01,
    c_miss: float = 1.0,
    c_fa: float = 1.0,
) -> float:
    """Normalised actual DCF of calibrated scores (log-likelihood ratios).

    Decisions use the Bayes threshold ``log(c_fa (1 - p) / (c_miss p))``: accept when
    ``llr >= threshold``.

    Example:
        >>> compute_act_dcf([10.0, -10.0], [1, 0], p_target=0.01)
        0.0
    """
    s, lab = _check(llrs, labels)
    theta = np.log(c_fa * (1.0 - p_target) / (c_miss * p_target))
    p_miss = float(np.mean(s[lab] < theta))
    p_fa = float(np.mean(s[~lab] >= theta))
    norm = min(c_miss * p_target, c_fa * (1.0 - p_target))
    return (c_miss * p_target * p_miss + c_fa * (1.0 - p_target) * p_fa) / norm


def compute_cllr(llrs: Sequence[float], labels: Sequence[int]) -> float:
    """Log-likelihood-ratio cost Cllr in bits (0 perfect, 1 = uninformative LLR = 0).

    Example:
        >>> compute_cllr([0.0, 0.0], [1, 0])
        1.0
    """
    s, lab = _check(llrs, labels)
    c_tar = np.mean(np.logaddexp(0.0, -s[lab]))
    c_non = np.mean(np.logaddexp(0.0, s[~lab]))
    return float((c_tar + c_non) / (2.0 * np.log(2.0)))


def compute_metrics(
    scores: Sequence[float],
    labels: Sequence[int],
    p_targets: Sequence[float] = DEFAULT_P_TARGETS,
    calibrated: bool = False,
) -> Dict[str, float]:
    """EER, minDCF at each ``p_target`` (and actDCF, Cllr when ``calibrated``) in one sort.

    Returns:
        An ordered dict: ``eer`` (fraction), ``eer_threshold``, ``min_dcf@<p>``,
        ``min_dcf_threshold@<p>``, and for calibrated scores ``act_dcf@<p>`` and ``cllr``;
        plus ``n_target``, ``n_nontarget``.

    Example:
        >>> m = compute_metrics([0.9, 0.1], [1, 0])
        >>> m["eer"], m["min_dcf@0.01"]
        (0.0, 0.0)
    """
    curve = det_curve(scores, labels)
    out: Dict[str, float] = {}
    out["eer"], out["eer_threshold"] = eer_from_curve(curve)
    for p in p_targets:
        out[f"min_dcf@{p:g}"], out[f"min_dcf_threshold@{p:g}"] = min_dcf_from_curve(curve, p)
    if calibrated:
        for p in p_targets:
            out[f"act_dcf@{p:g}"] = compute_act_dcf(scores, labels, p)
        out["cllr"] = compute_cllr(scores, labels)
    out["n_target"] = curve.n_target
    out["n_nontarget"] = curve.n_nontarget
    return out
