"""PLDA: SpeechBrain oracle, Kaldi two-covariance estimation and LLR known answers."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from threadpoolctl import threadpool_limits

from TrainAndTest.backend.pipeline import PldaBackend
from TrainAndTest.backend.plda_kaldi import KaldiPlda
from TrainAndTest.backend.plda_simplified import SimplifiedPlda
from TrainAndTest.backend.transforms import length_norm
from TrainAndTest.metrics.error_rates import compute_eer


@pytest.fixture(scope="module")
def oracle(shared_data):
    return np.load(shared_data / "oracles" / "plda" / "voxceleb_xvectors.npz")


def test_simplified_plda_reproduces_speechbrain(oracle):
    # One BLAS thread: a busy 2-core machine makes threaded 512x512 eigh very slow.
    with threadpool_limits(1):
        plda = SimplifiedPlda(rank_f=100, nb_iter=10).fit(
            oracle["train_xvectors"], oracle["train_spk"])
        scores = plda.score_matrix(oracle["enrol_xvectors"], oracle["test_xvectors"])
    assert np.linalg.norm(scores - oracle["expected_scores"]) < 0.1
    pairs = plda.score_pairs(oracle["enrol_xvectors"][[0, 2]], oracle["test_xvectors"][[0, 4]])
    assert np.allclose(pairs, scores[[0, 2], [0, 4]])


def _pairs(spk):
    i, j = np.triu_indices(len(spk), 1)
    return i, j, (spk[i] == spk[j]).astype(int)


def test_kaldi_plda_on_voxceleb_xvectors(oracle):
    x, spk = oracle["train_xvectors"], oracle["train_spk"]
    with threadpool_limits(1):
        # Trained and scored on all 632 speakers (the brief's check) ...
        backend = PldaBackend("kaldi", lda_dim=200).fit(x, spk)
        i, j, lab = _pairs(spk)
        s = backend.score_trials(x, x, i, j)
        assert s[lab == 1].mean() > s[lab == 0].mean() + 10
        eer_train = compute_eer(s, lab)[0]
        assert eer_train < 0.01
        # ... and, more telling, on held-out speakers against cosine scoring.
        held = np.isin(spk, np.unique(spk)[1::2])
        backend = PldaBackend("kaldi", lda_dim=50).fit(x[~held], spk[~held])
        xt = x[held]
        i, j, lab = _pairs(spk[held])
        eer_plda = compute_eer(backend.score_trials(xt, xt, i, j), lab)[0]
        u = length_norm(xt)
        eer_cos = compute_eer((u[i] * u[j]).sum(axis=1), lab)[0]
    print(f"two-cov PLDA EER: {100 * eer_train:.2f}% (train speakers), "
          f"held-out {100 * eer_plda:.2f}% vs cosine {100 * eer_cos:.2f}%")
    assert eer_plda < eer_cos - 0.02


def test_kaldi_plda_recovers_covariances():
    rng = np.random.default_rng(0)
    dim, n_spk, per = 3, 3000, 4
    q = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    between = q @ np.diag([4.0, 1.0, 0.25]) @ q.T
    within = np.diag([1.0, 0.5, 2.0])
    y = rng.multivariate_normal(np.ones(dim), between, n_spk)
    counts = rng.integers(1, per + 1, n_spk)  # 1..4 utterances, like real data
    labels = np.repeat(np.arange(n_spk), counts)
    x = y[labels] + rng.multivariate_normal(np.zeros(dim), within, len(labels))
    plda = KaldiPlda(num_em_iters=30).fit(x, labels)
    assert np.allclose(plda.within, within, atol=0.08)
    assert np.allclose(plda.between, between, atol=0.25)
    # The stored transform whitens W and diagonalises B.
    t = plda.transform
    assert np.allclose(t @ plda.within @ t.T, np.eye(dim), atol=1e-8)
    assert np.allclose(t @ plda.between @ t.T, np.diag(plda.psi), atol=1e-8)


@pytest.mark.parametrize("n", [1, 3])
def test_kaldi_llr_matches_direct_gaussians(n):
    """LLR with n enrolment utterances averaged = log N(e,t | same) - log N(e) N(t)."""
    rng = np.random.default_rng(1)
    dim = 3
    plda = KaldiPlda(normalize_length=False)
    plda.psi = np.array([3.0, 1.0, 0.2])
    plda.mean = np.zeros(dim)
    plda.transform = np.eye(dim)
    plda.offset = np.zeros(dim)
    e, t = rng.normal(size=(2, dim))
    b, w = np.diag(plda.psi), np.eye(dim)
    # enrol = mean of n utterances: cov B + W/n; test: B + W; cross-cov B when same speaker.
    same = np.block([[b + w / n, b], [b, b + w]])
    diff = np.block([[b + w / n, 0 * b], [0 * b, b + w]])
    ref = (multivariate_normal(np.zeros(2 * dim), same).logpdf(np.r_[e, t])
           - multivariate_normal(np.zeros(2 * dim), diff).logpdf(np.r_[e, t]))
    got = plda.score_pairs(e[None], t[None], num_utts=n)[0]
    assert got == pytest.approx(ref, abs=1e-9)
    if n == 1:
        assert plda.llr_matrix(e[None], t[None])[0, 0] == pytest.approx(ref, abs=1e-9)


def test_kaldi_length_norm_and_smoothing():
    plda = KaldiPlda()
    plda.psi = np.array([4.0, 1.0])
    plda.mean = np.zeros(2)
    plda.transform = np.eye(2)
    plda.offset = np.zeros(2)
    v = np.array([[2.0, 1.0]])
    # Kaldi GetNormalizationFactor: sqrt(dim / sum(v^2 / (psi + 1/n)))
    for n in (1, 4):
        expected = np.sqrt(2 / (4 / (4 + 1 / n) + 1 / (1 + 1 / n)))
        assert np.allclose(plda.transform_vectors(v, n), v * expected)
    plda.smooth_within_class_covariance(0.5)  # within 1 + 0.5 psi = [3, 1.5]
    assert np.allclose(plda.psi, [4 / 3, 1 / 1.5])
    assert np.allclose(plda.transform, np.diag(1 / np.sqrt([3.0, 1.5])))


@pytest.mark.parametrize("kind", ["kaldi", "simplified"])
def test_backend_save_load(tmp_path, kind):
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(40), 3)
    x = rng.normal(size=(40, 8))[y] * 2 + rng.normal(size=(120, 8))
    b = PldaBackend(kind, lda_dim=6 if kind == "kaldi" else 0,
                    length_norm=kind == "kaldi", rank_f=4).fit(x, y)
    b.save(tmp_path / "b.npz")
    b2 = PldaBackend.load(tmp_path / "b.npz")
    s1 = b.score_pairs(x[:10], x[10:20], num_utts=2)
    assert np.allclose(s1, b2.score_pairs(x[:10], x[10:20], num_utts=2))
    idx = np.arange(10)
    assert np.allclose(s1, b2.score_trials(x[:10], x[10:20], idx, idx, num_utts=2))
    m = b2.score_matrix(x[:3], x[10:14])
    assert np.allclose(np.diag(m[:, :3]), b2.score_pairs(x[:3], x[10:13]))


def test_simplified_plda_singular_covariance_is_an_error():
    x = np.random.default_rng(0).normal(size=(6, 10))
    with pytest.raises(ValueError, match="singular"):
        SimplifiedPlda(rank_f=2, nb_iter=1).fit(x, [0, 0, 1, 1, 2, 2])
