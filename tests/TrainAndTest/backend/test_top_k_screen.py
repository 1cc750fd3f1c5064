"""The bfloat16-screened top k: equal to the top k of all float32 scores, whatever the blocks."""

import numpy as np
import pytest
import torch

from TrainAndTest.backend.cosine import unit_rows
from TrainAndTest.backend.score_norm import CohortScorer, CohortStatsCache, cohort_stats_of_rows
from TrainAndTest.backend.top_k_screen import ScreenedTopK, screen_applies
from TrainAndTest.bin import score_cosine, score_norm
from TrainAndTest.io.trials import read_scores


def _reference(x, c, k):
    """The k highest float32 scores of each row, whole matrix at once, ascending."""
    s = x.astype(np.float64) @ c.astype(np.float64).T
    return np.sort(np.partition(s, s.shape[1] - k, axis=1)[:, -k:], axis=1)


def _data(seed, n, m, d=24):
    rng = np.random.default_rng(seed)
    cohort = unit_rows(rng.normal(size=(m, d)))
    x = unit_rows(rng.normal(size=(n, d)) + 0.5 * cohort[rng.integers(0, m, n)])
    return x, cohort


@pytest.mark.parametrize("m", [64 * 40, 64 * 40 + 37])  # with and without a padded chunk
def test_blocks_equal_whole_matrix(m):
    x, cohort = _data(m, 150, m)
    k = 9
    screen = ScreenedTopK(cohort, k, rows_per_block=32, chunk=256)  # 5 row blocks, 10-11 chunks
    got = screen.top_k(x)
    # Exact (float32 dot products), not screen values: float32 rounding of the float64 ones.
    np.testing.assert_allclose(got, _reference(x, cohort, k), rtol=0, atol=1e-6)
    # A row's top k does not depend on the rows asked for with it.
    single = np.concatenate([screen.top_k(x[i:i + 1]) for i in (0, 31, 32, 149)])
    assert np.array_equal(single, got[[0, 31, 32, 149]])
    assert np.array_equal(ScreenedTopK(cohort, k, rows_per_block=7, chunk=128).top_k(x), got)


def test_ties_and_thresholds_at_or_below_zero():
    rng = np.random.default_rng(1)
    d = 16
    cohort = unit_rows(rng.normal(size=(64 * 30, d)) + 3 * np.eye(d)[0])  # all near e0
    x = unit_rows(rng.normal(size=(40, d)))
    cohort[100:140] = cohort[7]  # 41 equal cohort vectors: ties across the k-th score
    x[:5] = cohort[7]
    x[5:10] = unit_rows(-np.eye(d)[0] + 0.1 * rng.normal(size=(5, d)))  # every score < 0:
    x[10] = -cohort[7]  # a threshold <= 0 (those rows are scored directly)
    k = 25
    got = ScreenedTopK(cohort, k, rows_per_block=16, chunk=128).top_k(x)
    np.testing.assert_allclose(got, _reference(x, cohort, k), rtol=0, atol=1e-6)
    assert np.all(got[:5] == got[:5, -1:])  # all 25 are copies of the same score


def test_bound_holds_for_every_screen_score():
    x, cohort = _data(2, 64, 64 * 20, d=40)
    x[0] *= 3.0  # any norms: the bound scales with them
    screen = ScreenedTopK(cohort, 5)
    s = (torch.from_numpy(x).bfloat16() @ torch.from_numpy(cohort).bfloat16().T).float().numpy()
    exact = x.astype(np.float64) @ cohort.astype(np.float64).T
    a = screen.bound(x)[:, None]
    assert np.all(np.abs(exact - s) <= a + 2.0**-8 * np.abs(s) * (1 + 2.0**-8))
    assert np.all(a < 0.03)


def test_cohort_scorer_screen_on_equals_off_and_cache_order():
    x, cohort = _data(3, 300, 64 * 32)
    x = x * np.random.default_rng(0).uniform(0.5, 2.0, size=(300, 1))  # scaled: normalised
    k = 8
    assert screen_applies(len(cohort), k)
    on = CohortScorer(cohort, top_k=k, screen="on")
    off = CohortScorer(cohort, top_k=k, screen="off")
    assert on.screen is not None and off.screen is None
    mu_on, sd_on = on.stats(x)
    mu_off, sd_off = off.stats(x)
    np.testing.assert_allclose(mu_on, mu_off, rtol=0, atol=1e-6)
    np.testing.assert_allclose(sd_on, sd_off, rtol=0, atol=1e-6)
    used = np.zeros(300, dtype=bool)
    used[::3] = True
    ref_mu, ref_sd = cohort_stats_of_rows(x, used, cohort, top_k=k)
    assert np.allclose(ref_mu[used], mu_on[used], rtol=0, atol=1e-6)
    cache = CohortStatsCache(x, on)
    rows = np.flatnonzero(used)
    rng = np.random.default_rng(5)
    for part in np.array_split(rng.permutation(np.repeat(rows, 2)), 9):
        mu, sd = cache.lookup(part)
        assert np.array_equal(mu, mu_on[part]) and np.array_equal(sd, sd_on[part])
    with pytest.raises(ValueError, match="valid: auto, on, off"):
        CohortScorer(cohort, top_k=k, screen="fast")


def test_score_norm_cli_screen_blocks_equal_whole(tmp_path):
    rng = np.random.default_rng(6)
    ids = [f"s{s:02d}-u{u}" for s in range(30) for u in range(4)]
    emb = rng.normal(size=(30, 16))[np.repeat(np.arange(30), 4)] + rng.normal(size=(120, 16))
    np.savez(tmp_path / "emb.npz", ids=np.array(ids), embeddings=emb.astype(np.float32))
    np.savez(tmp_path / "cohort.npz", ids=np.array([f"c{i}" for i in range(3000)]),
             embeddings=rng.normal(size=(3000, 16)).astype(np.float32))
    lines = [f"{ids[a]} {ids[b]} {'target' if a // 4 == b // 4 else 'nontarget'}\n"
             for a in range(120) for b in range(a + 1, 120) if (a + b) % 7 == 0]
    (tmp_path / "trials").write_text("".join(lines))
    d = str(tmp_path)
    assert score_cosine.main([f"{d}/trials", f"{d}/emb.npz", f"{d}/emb.npz", f"{d}/raw"]) == 0
    args = [f"{d}/trials", f"{d}/raw", f"{d}/emb.npz", f"{d}/emb.npz", f"{d}/cohort.npz"]
    opts = ["--top-k", "11"]
    assert score_norm.main(args + [f"{d}/whole", "--cohort-screen", "on"] + opts) == 0
    assert score_norm.main(args + [f"{d}/blocked", "--cohort-screen", "on", "--block-size", "37"]
                           + opts) == 0
    assert (tmp_path / "blocked").read_text() == (tmp_path / "whole").read_text()
    assert score_norm.main(args + [f"{d}/off", "--cohort-screen", "off"] + opts) == 0
    on, off = read_scores(tmp_path / "whole")[2], read_scores(tmp_path / "off")[2]
    assert len(on) == len(lines) and np.abs(on - off).max() <= 1e-4
