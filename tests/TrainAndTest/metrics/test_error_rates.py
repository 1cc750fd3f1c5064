"""Known answers for EER/minDCF/actDCF/Cllr and agreement with an sklearn reference."""

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from TrainAndTest.metrics.error_rates import (
    compute_act_dcf,
    compute_cllr,
    compute_eer,
    compute_metrics,
    compute_min_dcf,
    det_curve,
)


def sklearn_reference(scores, labels, p_target):
    """EER (same interpolation) and minDCF from sklearn's roc_curve operating points."""
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    fnr = 1 - tpr
    d = fnr - fpr
    # sklearn's points go from 'accept nothing' to 'accept all': diff decreases.
    k = int(np.flatnonzero(d <= 0)[0])
    if d[k] == 0:
        eer = fnr[k]
    else:
        a = d[k - 1] / (d[k - 1] - d[k])
        eer = fnr[k - 1] + a * (fnr[k] - fnr[k - 1])
    cost = p_target * fnr + (1 - p_target) * fpr
    return eer, cost.min() / min(p_target, 1 - p_target)


def test_perfect_separation():
    scores = np.r_[np.linspace(1, 2, 50), np.linspace(-2, 0.5, 500)]
    labels = np.r_[np.ones(50), np.zeros(500)]
    m = compute_metrics(scores, labels)
    assert m["eer"] == 0.0
    for p in (0.01, 0.001, 0.05):
        assert m[f"min_dcf@{p:g}"] == 0.0
    # The EER threshold separates the classes.
    assert 0.5 < m["eer_threshold"] <= 1.0


def test_reversed_scores():
    scores = np.r_[np.linspace(-2, -1, 50), np.linspace(0, 1, 500)]
    labels = np.r_[np.ones(50), np.zeros(500)]
    assert compute_eer(scores, labels)[0] == 1.0
    assert compute_min_dcf(scores, labels, 0.01)[0] == 1.0


def test_hand_computed_with_ties():
    c = det_curve([0.1, 0.5, 0.5, 0.9], [0, 1, 0, 1])
    assert c.p_miss.tolist() == [0.0, 0.0, 0.5, 1.0]
    assert c.p_fa.tolist() == [1.0, 0.5, 0.0, 0.0]
    eer, thr = compute_eer([0.1, 0.5, 0.5, 0.9], [0, 1, 0, 1])
    assert eer == pytest.approx(0.25)
    assert thr == pytest.approx(0.7)
    # minDCF at p=0.5: best is 0.5 * 0.5 (either middle point) / 0.5.
    assert compute_min_dcf([0.1, 0.5, 0.5, 0.9], [0, 1, 0, 1], 0.5)[0] == pytest.approx(0.5)


@pytest.mark.parametrize("seed,ties", [(0, False), (1, True), (2, True)])
def test_agrees_with_sklearn_roc_curve(seed, ties):
    rng = np.random.default_rng(seed)
    n_tar, n_non = 3000, 30000
    scores = np.r_[rng.normal(1.5, 1, n_tar), rng.normal(0, 1, n_non)]
    if ties:
        scores = np.round(scores, 1)  # many tied scores across both classes
    labels = np.r_[np.ones(n_tar), np.zeros(n_non)].astype(int)
    perm = rng.permutation(len(scores))
    scores, labels = scores[perm], labels[perm]
    m = compute_metrics(scores, labels)
    for p in (0.01, 0.001, 0.05):
        ref_eer, ref_dcf = sklearn_reference(scores, labels, p)
        assert abs(m["eer"] - ref_eer) < 1e-6
        assert abs(m[f"min_dcf@{p:g}"] - ref_dcf) < 1e-6
    assert 0.15 < m["eer"] < 0.3  # d' = 1.5 gives about 22.7 %


def test_tied_scores_are_one_operating_point():
    # All scores equal: the only points are 'accept all' and 'accept nothing'.
    c = det_curve([1.0] * 6, [1, 0, 1, 0, 0, 0])
    assert c.p_miss.tolist() == [0.0, 1.0] and c.p_fa.tolist() == [1.0, 0.0]
    assert compute_eer([1.0] * 6, [1, 0, 1, 0, 0, 0])[0] == pytest.approx(0.5)


def test_act_dcf_and_cllr_known_answers():
    labels = np.r_[np.ones(10), np.zeros(10)]
    assert compute_cllr(np.zeros(20), labels) == pytest.approx(1.0)
    assert compute_cllr(np.r_[np.full(10, 50.0), np.full(10, -50.0)], labels) < 1e-20
    # Cllr of a constant LLR c: (log2(1 + e^-c) + log2(1 + e^c)) / 2
    c = 2.0
    expected = (np.log2(1 + np.exp(-c)) + np.log2(1 + np.exp(c))) / 2
    assert compute_cllr(np.full(20, c), labels) == pytest.approx(expected)
    # LLR = 0 everywhere: at p=0.01 the Bayes threshold is log(99): reject all -> P_miss = 1,
    # cost p / min(p, 1-p) = 1.
    assert compute_act_dcf(np.zeros(20), labels, 0.01) == pytest.approx(1.0)
    # Accept all (LLR huge): cost (1-p) * 1 / p = 99.
    assert compute_act_dcf(np.full(20, 100.0), labels, 0.01) == pytest.approx(99.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="NaN"):
        compute_eer([0.1, np.nan], [1, 0])
    with pytest.raises(ValueError, match="target and non-target"):
        compute_eer([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="labels"):
        compute_eer([0.1, 0.2, 0.3], [1, 0])
