"""Transforms, cosine scoring, score normalisation, calibration and thresholds."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import cosine_similarity

from TrainAndTest.backend.calibration import LogisticCalibration, quality_features
from TrainAndTest.backend.cosine import cosine_score_pairs
from TrainAndTest.backend.score_norm import cohort_stats, normalize_scores, normalize_trials
from TrainAndTest.backend.thresholds import format_threshold_table, threshold_table
from TrainAndTest.backend.transforms import Lda, LengthNorm, MeanSubtraction, Whitening
from TrainAndTest.metrics.error_rates import compute_cllr, compute_eer, det_curve


def _speakers(rng, n_spk, per, dim, spread=3.0):
    y = np.repeat(np.arange(n_spk), per)
    return rng.normal(size=(n_spk, dim))[y] * spread + rng.normal(size=(n_spk * per, dim)), y


def test_lda_whitens_within_and_diagonalises_between():
    rng = np.random.default_rng(0)
    x, y = _speakers(rng, 50, 6, 10)
    z = Lda(dim=5).fit(x, y).transform(x)
    means = np.stack([z[y == k].mean(axis=0) for k in range(50)])
    within = sum((z[y == k] - means[k]).T @ (z[y == k] - means[k]) for k in range(50)) / len(z)
    between = (means - z.mean(axis=0)).T @ (means - z.mean(axis=0)) / 50
    assert np.allclose(within, np.eye(5), atol=1e-8)
    off = between - np.diag(np.diag(between))
    assert np.abs(off).max() < 1e-8
    assert np.all(np.diff(np.diag(between)) <= 1e-12)  # decreasing
    assert np.allclose(z.mean(axis=0), 0, atol=1e-10)
    with pytest.raises(ValueError, match="speakers"):
        Lda(dim=60).fit(np.tile(x, (1, 10)), y)


def test_mean_whitening_length_norm():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4)) + 5
    assert np.allclose(MeanSubtraction().fit(x).transform(x).mean(axis=0), 0, atol=1e-10)
    for zca in (False, True):
        w = Whitening(zca=zca).fit(x).transform(x)
        assert np.allclose(np.cov(w.T, bias=True), np.eye(4), atol=1e-8)
    n = LengthNorm().transform(x)
    assert np.allclose(np.linalg.norm(n, axis=1), 2.0)  # sqrt(dim), Kaldi's scaleup


@pytest.mark.parametrize("block_size", [7, 100000])
def test_cosine_matches_sklearn(block_size):
    rng = np.random.default_rng(2)
    enrol, test = rng.normal(size=(30, 16)), rng.normal(size=(40, 16))
    ei, ti = rng.integers(0, 30, 500), rng.integers(0, 40, 500)
    got = cosine_score_pairs(enrol, test, ei, ti, block_size=block_size)
    ref = cosine_similarity(enrol, test)[ei, ti]
    assert np.allclose(got, ref, atol=1e-6)
    same = cosine_score_pairs(enrol, enrol, ei, ei)
    assert np.allclose(same, 1.0, atol=1e-6)


def test_cohort_stats_top_k():
    v = np.array([[1.0, 0.0]])
    cohort = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    mu, sd = cohort_stats(v, cohort)  # cosines 1, 0, -1, 0.7071
    assert mu[0] == pytest.approx((1 + 0 - 1 + np.sqrt(0.5)) / 4)
    mu, sd = cohort_stats(v, cohort, top_k=2)
    assert mu[0] == pytest.approx((1 + np.sqrt(0.5)) / 2)
    assert sd[0] == pytest.approx((1 - np.sqrt(0.5)) / 2)
    s = np.array([2.0])
    z = normalize_scores(s, "znorm", (np.array([1.0]), np.array([0.5])))
    t = normalize_scores(s, "tnorm", test_stats=(np.array([0.0]), np.array([4.0])))
    assert (z[0], t[0]) == (2.0, 0.5)
    with pytest.raises(ValueError, match="valid: znorm"):
        normalize_scores(s, "xnorm")


def test_asnorm_removes_per_utterance_offset_bias():
    """Scores = dot(x1, x2) + b1 + b2: a bias per utterance that S-norm should cancel."""
    rng = np.random.default_rng(3)
    dim = 32
    x, y = _speakers(rng, 120, 4, dim, spread=1.0)
    bias = rng.normal(0, 10.0, len(x))
    emb = np.c_[x, bias]
    cohort_x, _ = _speakers(rng, 300, 1, dim, spread=1.0)
    cohort = np.c_[cohort_x, rng.normal(0, 10.0, len(cohort_x))]

    def score_fn(a, b):
        return a[:, :dim] @ b[:, :dim].T + a[:, dim:] + b[:, dim:].T

    i, j = np.triu_indices(len(x), 1)
    lab = (y[i] == y[j]).astype(int)
    raw = np.einsum("ij,ij->i", emb[i, :dim], emb[j, :dim]) + bias[i] + bias[j]
    eer_raw = compute_eer(raw, lab)[0]
    results = {}
    for method in ("znorm", "snorm", "asnorm"):
        norm = normalize_trials(raw, emb, emb, i, j, cohort, method, top_k=100,
                                score_fn=score_fn)
        results[method] = compute_eer(norm, lab)[0]
    print(f"EER raw {eer_raw:.4f} {results}")
    # S-norm averages a Z-norm (cancels the enrolment bias) and a T-norm (the test bias):
    # each side's bias is halved, so the EER drops clearly but not to the unbiased one.
    assert results["snorm"] < 0.8 * eer_raw
    assert results["asnorm"] < 0.8 * eer_raw


def test_calibration_matches_sklearn_and_uses_quality():
    rng = np.random.default_rng(4)
    n = 4000
    lab = np.r_[np.ones(n // 4), np.zeros(n)]
    s = np.where(lab == 1, rng.normal(2, 1, len(lab)), rng.normal(-1, 1, len(lab)))
    cal = LogisticCalibration(p_target=0.5).fit(s, lab)
    ref = LogisticRegression(C=1e10, class_weight="balanced", tol=1e-10,
                             max_iter=1000).fit(s[:, None], lab)
    assert cal.weights[0] == pytest.approx(ref.coef_[0, 0], rel=1e-3)
    assert cal.bias == pytest.approx(ref.intercept_[0], abs=1e-3)
    llr = cal.transform(s)
    assert compute_cllr(llr, lab) < compute_cllr(s, lab)
    # Short utterances shift every score down: a quality measure lets calibration undo it.
    dur_e = rng.uniform(1, 20, len(lab))
    dur_t = rng.uniform(1, 20, len(lab))
    shifted = s + 2.0 * np.log(np.minimum(dur_e, dur_t) / 20)
    q = quality_features(dur_e, dur_t)
    plain = LogisticCalibration().fit(shifted, lab)
    qmf = LogisticCalibration().fit(shifted, lab, quality=q)
    c_plain = compute_cllr(plain.transform(shifted), lab)
    c_qmf = compute_cllr(qmf.transform(shifted, quality=q), lab)
    assert c_qmf < c_plain - 0.05
    with pytest.raises(ValueError, match="quality"):
        qmf.transform(shifted)


def test_threshold_table():
    rng = np.random.default_rng(5)
    s = np.r_[rng.normal(3, 1, 3000), rng.normal(0, 1, 30000)]
    y = np.r_[np.ones(3000), np.zeros(30000)]
    rows = threshold_table(s, y)
    c = det_curve(s, y)
    assert rows[0]["far"] == pytest.approx(compute_eer(s, y)[0])
    for row, far in zip(rows[1:], (0.01, 0.001)):
        k = int(np.searchsorted(c.thresholds, row["threshold"]))
        assert c.p_fa[k] <= far < c.p_fa[k - 1]  # lowest threshold meeting the FAR
        accepted = s >= row["threshold"]
        assert np.mean(accepted[y == 0]) == pytest.approx(row["far"])
        assert np.mean(~accepted[y == 1]) == pytest.approx(row["frr"])
    text = format_threshold_table(rows)
    assert "| FAR 0.1% |" in text
