"""Per-domain centring: the transform, its command line, and the EER it recovers."""

import subprocess
import sys

import numpy as np
import pytest

from TrainAndTest.backend.cosine import cosine_score_pairs
from TrainAndTest.backend.domain import DomainCentering
from TrainAndTest.io.embeddings import Embeddings, read_embeddings, write_embeddings
from TrainAndTest.metrics.error_rates import compute_eer


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_means_and_fallback_to_global_mean():
    x = np.array([[3.0, 4.0], [3.0, -4.0], [0.0, 2.0], [0.0, 5.0]])
    dc = DomainCentering().fit(x, ["a", "a", "b", "b"])
    assert dc.counts == {"a": 2, "b": 2}
    assert np.allclose(dc.means["a"], [0.6, 0.0]) and np.allclose(dc.means["b"], [0.0, 1.0])
    assert np.allclose(dc.global_mean, [0.3, 0.5])
    y = dc.transform(np.array([[6.0, 8.0], [1.0, 0.0]]), ["a", "zz"])
    assert np.allclose(y, [[0.0, 0.8], [0.7, -0.5]])
    assert dc.unseen(["a", "zz", "zz"]) == {"zz": 2}
    raw = DomainCentering(normalize=False).fit(x, ["a", "a", "b", "b"])
    assert np.allclose(raw.means["b"], [0.0, 3.5])
    with pytest.raises(ValueError, match="3 domain labels"):
        dc.transform(x, ["a", "a", "b"])
    with pytest.raises(ValueError, match="fit"):
        DomainCentering().transform(x, ["a"] * 4)


def _domain_data(rng, n_spk, per, dim, offset):
    """Speakers of one domain: a shared channel offset whose strength varies per utterance."""
    spk = rng.normal(size=(n_spk, dim))
    y = np.repeat(np.arange(n_spk), per)
    gain = rng.uniform(0.5, 1.5, size=(n_spk * per, 1))
    return gain * offset + spk[y] + rng.normal(size=(n_spk * per, dim)) * 0.6, y


def test_centring_with_training_domain_mean_lowers_eer():
    rng = np.random.default_rng(0)
    dim = 32
    offsets = {"a": rng.normal(size=dim), "b": rng.normal(size=dim)}
    train, train_dom = [], []
    for d, n_spk in (("a", 60), ("b", 15)):
        x, _ = _domain_data(rng, n_spk, 6, dim, offsets[d])
        train.append(x)
        train_dom += [d] * len(x)
    # held-out speakers of domain b only: the trials are within one domain
    test, y = _domain_data(rng, 12, 8, dim, offsets["b"])
    i, j = np.triu_indices(len(test), 1)
    labels = (y[i] == y[j]).astype(int)
    eer_raw = compute_eer(cosine_score_pairs(test, test, i, j), labels)[0]
    dc = DomainCentering().fit(np.concatenate(train), train_dom)
    z = dc.transform(test, ["b"] * len(test))
    eer_dc = compute_eer(cosine_score_pairs(z, z, i, j), labels)[0]
    z_global = _unit(test) - dc.global_mean
    eer_global = compute_eer(cosine_score_pairs(z_global, z_global, i, j), labels)[0]
    assert eer_dc < 0.25 * eer_raw, (eer_raw, eer_dc)  # measured 3.9% -> 0.3%
    assert eer_dc < 0.25 * eer_global, (eer_global, eer_dc)


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "TrainAndTest.bin.center_embeddings", *map(str, args)],
        capture_output=True, text=True,
    )  # fmt: skip


def test_command_line(tmp_path):
    train = Embeddings(["t1", "t2", "t3"], np.array([[2.0, 0], [0, 1.0], [0, 3.0]], np.float32))
    test = Embeddings(["u1", "u2", "u3"], np.array([[1.0, 1], [0, 2.0], [5.0, 0]], np.float32))
    write_embeddings(tmp_path / "train", train)
    write_embeddings(tmp_path / "test", test)
    (tmp_path / "train_dom").write_text("t1 a\nt2 b\nt3 b\n")
    (tmp_path / "test_dom").write_text("u1 a\nu2 b\nu3 c\n")
    (tmp_path / "spk2utt").write_text("s1 u1 u2\ns2 u3\n")
    out = tmp_path / "out"
    r = _run("--spk2utt", tmp_path / "spk2utt", tmp_path / "train_dom", tmp_path / "train.scp",
             tmp_path / "test_dom", tmp_path / "test.scp", out)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "domain 'c' (1 embeddings) has no training embeddings" in r.stderr
    got = read_embeddings(out / "xvector.scp")
    s = np.sqrt(0.5)
    want = np.array([[s - 1, s], [0, 0], [1 - 1 / 3, -2 / 3]])  # global mean (1/3, 2/3)
    assert got.ids == ["u1", "u2", "u3"] and np.allclose(got.matrix, want, atol=1e-6)
    spk = read_embeddings(out / "spk_xvector.scp")
    assert spk.ids == ["s1", "s2"] and np.allclose(spk.matrix[0], want[:2].mean(axis=0), atol=1e-6)
    assert (out / "num_utts.ark").read_text() == "s1 2\ns2 1\n"

    (tmp_path / "test_dom").write_text("u1 a\nu3 c\n")
    r = _run(tmp_path / "train_dom", tmp_path / "train.scp", tmp_path / "test_dom",
             tmp_path / "test.scp", tmp_path / "out2")  # fmt: skip
    assert (
        r.returncode == 1
        and "test_dom: no domain for 1 of the 3 input embeddings (e.g. 'u2')" in r.stderr
    )
    assert not (tmp_path / "out2" / "xvector.scp").exists()
