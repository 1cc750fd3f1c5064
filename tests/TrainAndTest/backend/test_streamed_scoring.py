"""Scoring entry points in blocks: equal to whole-list results, missing trials named."""

import numpy as np
import pytest

from TrainAndTest.backend.calibration import LogisticCalibration
from TrainAndTest.backend.cosine import cosine_score_pairs
from TrainAndTest.backend.pipeline import PldaBackend
from TrainAndTest.backend.score_norm import (
    CohortScorer,
    CohortStatsCache,
    cohort_stats,
    cohort_stats_of_rows,
    cosine_matrix,
    normalize_trials,
    top_k_rows,
)
from TrainAndTest.bin import calibrate, fuse_scores, score_cosine, score_norm, score_plda
from TrainAndTest.io.trials import read_scores, read_trials, write_scores


@pytest.fixture
def setup(tmp_path):
    rng = np.random.default_rng(0)
    dim, n_spk = 8, 12
    centres = rng.normal(size=(n_spk, dim)) * 2
    ids = [f"s{s:02d}-u{u}" for s in range(n_spk) for u in range(4)]
    emb = centres[np.repeat(np.arange(n_spk), 4)] + rng.normal(size=(len(ids), dim))
    np.savez(tmp_path / "emb.npz", ids=np.array(ids), embeddings=emb)
    cohort = rng.normal(size=(50, dim))
    np.savez(tmp_path / "cohort.npz", ids=np.array([f"c{i}" for i in range(50)]),
             embeddings=cohort)
    lines = [f"{ids[a]} {ids[b]} {'target' if a // 4 == b // 4 else 'nontarget'}\n"
             for a in range(len(ids)) for b in range(a + 1, len(ids)) if (a + b) % 3 == 0]
    (tmp_path / "trials").write_text("".join(lines))
    tr = rng.normal(size=(20, dim))[np.repeat(np.arange(20), 5)] + rng.normal(size=(100, dim))
    PldaBackend(lda_dim=6).fit(tr, np.repeat(np.arange(20), 5)).save(tmp_path / "plda.npz")
    return tmp_path, ids, emb.astype(np.float32), cohort.astype(np.float32)


def _rows(trials, ids):
    index = {k: i for i, k in enumerate(ids)}
    return (np.array([index[x] for x in trials.enrol]), np.array([index[x] for x in trials.test]))


def test_score_cosine_blocks_equal_whole(setup):
    d, ids, emb, _ = setup
    args = [str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz")]
    assert score_cosine.main(args + [str(d / "whole")]) == 0
    assert score_cosine.main(args + [str(d / "blocked"), "--block-size", "7"]) == 0
    assert (d / "blocked").read_text() == (d / "whole").read_text()
    trials = read_trials(d / "trials")
    e, t = _rows(trials, ids)
    ref = cosine_score_pairs(emb, emb, e, t)
    got = read_scores(d / "blocked")[2]
    assert len(got) == len(trials) and np.abs(got - ref).max() <= 5e-7


def test_score_cosine_missing_embeddings(setup, capsys):
    d, ids, _, _ = setup
    text = (d / "trials").read_text()
    (d / "trials").write_text(text + "ghost s00-u0 nontarget\n" + "s00-u1 ghost2 target\n")
    args = [str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz"), str(d / "out"),
            "--block-size", "5"]
    assert score_cosine.main(args) == 1
    assert "2 of" in capsys.readouterr().err
    assert not (d / "out").exists() and not list(d.glob("out.tmp*"))
    assert score_cosine.main(args + ["--allow-missing"]) == 0
    assert len(read_scores(d / "out")[2]) == len(text.splitlines())


def test_score_plda_blocks_equal_whole(setup):
    d, ids, emb, _ = setup
    args = [str(d / "plda.npz"), str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz")]
    assert score_plda.main(args + [str(d / "whole")]) == 0
    assert score_plda.main(args + [str(d / "blocked"), "--block-size", "4"]) == 0
    assert (d / "blocked").read_text() == (d / "whole").read_text()
    trials = read_trials(d / "trials")
    e, t = _rows(trials, ids)
    ref = PldaBackend.load(d / "plda.npz").score_trials(emb, emb, e, t)
    assert np.abs(read_scores(d / "blocked")[2] - ref).max() <= 5e-7


def test_cohort_stats_blocked_equal_full_matrix():
    rng = np.random.default_rng(1)
    v, c = rng.normal(size=(37, 6)), rng.normal(size=(523, 6))
    full = cosine_matrix(v, c).astype(np.float64)
    for k in (None, 1, 10, 300, 523):
        mu, sd = cohort_stats(v, c, top_k=k, block_size=5, cohort_block=64)
        ref = full if k is None else np.sort(full, axis=1)[:, -k:]
        np.testing.assert_allclose(mu, ref.mean(axis=1), rtol=0, atol=1e-12)
        np.testing.assert_allclose(sd, np.maximum(ref.std(axis=1), 1e-10), rtol=0, atol=1e-12)
    plda = lambda a, b: a @ b.T  # noqa: E731 - any scorer: sums merged across blocks
    mu, sd = cohort_stats(v, c, plda, None, block_size=8, cohort_block=100)
    np.testing.assert_allclose(mu, (v @ c.T).mean(axis=1), atol=1e-12)
    np.testing.assert_allclose(sd, (v @ c.T).std(axis=1), atol=1e-12)


@pytest.mark.parametrize("method", ["asnorm", "snorm", "znorm", "tnorm"])
def test_score_norm_blocks_equal_whole(setup, method):
    d, ids, emb, cohort = setup
    assert score_cosine.main([str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz"),
                              str(d / "raw")]) == 0
    # The input scores in another order than the list: looked up by pair.
    e_, t_, s_ = read_scores(d / "raw")
    perm = np.random.default_rng(0).permutation(len(s_))
    write_scores(d / "shuffled", [e_[i] for i in perm], [t_[i] for i in perm], s_[perm])
    args = [str(d / "trials"), str(d / "shuffled"), str(d / "emb.npz"), str(d / "emb.npz"),
            str(d / "cohort.npz")]
    opts = ["--method", method, "--top-k", "7"]
    assert score_norm.main(args + [str(d / "whole")] + opts) == 0
    assert score_norm.main(args + [str(d / "blocked"), "--block-size", "3"] + opts) == 0
    assert (d / "blocked").read_text() == (d / "whole").read_text()
    trials = read_trials(d / "trials")
    e, t = _rows(trials, ids)
    ref = normalize_trials(s_, emb, emb, e, t, cohort, method, 7)
    assert np.abs(read_scores(d / "blocked")[2] - ref).max() <= 5e-6


def test_score_norm_names_trials_without_score(setup, capsys):
    d, ids, _, _ = setup
    assert score_cosine.main([str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz"),
                              str(d / "raw")]) == 0
    lines = (d / "raw").read_text().splitlines(keepends=True)
    dropped = lines.pop(10).split()[:2]
    (d / "raw").write_text("".join(lines))
    args = [str(d / "trials"), str(d / "raw"), str(d / "emb.npz"), str(d / "emb.npz"),
            str(d / "cohort.npz"), str(d / "out"), "--block-size", "4"]
    assert score_norm.main(args) == 1
    err = capsys.readouterr().err
    assert f"1 of {len(lines) + 1} trials" in err and " ".join(dropped) in err
    assert not (d / "out").exists()
    assert score_norm.main(args + ["--allow-missing"]) == 0
    assert len(read_scores(d / "out")[2]) == len(lines)


def test_calibrate_blocks_equal_in_memory(setup):
    d, _, _, _ = setup
    assert score_cosine.main([str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz"),
                              str(d / "raw")]) == 0
    args = [str(d / "trials"), str(d / "raw"), str(d / "raw")]
    assert calibrate.main(args + [str(d / "whole")]) == 0
    assert calibrate.main(args + [str(d / "blocked"), "--block-size", "6"]) == 0
    assert (d / "blocked").read_text() == (d / "whole").read_text()
    trials = read_trials(d / "trials")
    raw = read_scores(d / "raw")[2]
    cal = LogisticCalibration().fit(raw, trials.labels)
    assert np.abs(read_scores(d / "blocked")[2] - cal.transform(raw)).max() <= 5e-7


def test_fuse_blocks_with_a_shuffled_input(setup, capsys):
    d, _, _, _ = setup
    assert score_cosine.main([str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz"),
                              str(d / "a")]) == 0
    assert score_plda.main([str(d / "plda.npz"), str(d / "trials"), str(d / "emb.npz"),
                            str(d / "emb.npz"), str(d / "b")]) == 0
    e, t, b = read_scores(d / "b")
    perm = np.random.default_rng(2).permutation(len(b))
    write_scores(d / "b_shuf", [e[i] for i in perm], [t[i] for i in perm], b[perm])
    assert fuse_scores.main(["--weights", "2,0.5", "--block-size", "5", str(d / "trials"),
                             str(d / "a"), str(d / "b_shuf"), str(d / "fused")]) == 0
    ref = 2 * read_scores(d / "a")[2] + 0.5 * b
    assert np.abs(read_scores(d / "fused")[2] - ref).max() <= 5e-6
    (d / "b_short").write_text("".join((d / "b").read_text().splitlines(keepends=True)[1:]))
    assert fuse_scores.main(["--block-size", "5", str(d / "trials"), str(d / "a"),
                             str(d / "b_short"), str(d / "f2")]) == 1
    assert f"{e[0]} {t[0]}" in capsys.readouterr().err and not (d / "f2").exists()


def test_plda_pair_terms_equal_per_pair_formulas():
    rng = np.random.default_rng(3)
    y = np.repeat(np.arange(25), 6)
    x = rng.normal(size=(25, 10))[y] * 2 + rng.normal(size=(150, 10))
    i, j = rng.integers(0, 150, 2000), rng.integers(0, 150, 2000)
    for kind in ("kaldi", "simplified"):
        b = PldaBackend(plda_type=kind, lda_dim=8, rank_f=5).fit(x, y)
        for nu in (1, rng.integers(1, 5, 150)):  # one count (dim-wide terms) or several
            if kind == "simplified" and np.ndim(nu):
                continue
            ref = b.score_trials(x, x, i, j, nu)
            got = b.pair_terms(x, x, nu).score(i, j)
            assert np.abs(got - ref).max() <= 1e-9 * max(1.0, np.abs(ref).max()), (kind, nu)


def test_score_plda_num_utts_blocks_equal_whole(setup):
    d, ids, emb, _ = setup
    (d / "num_utts").write_text("".join(f"{k} {1 + i % 3}\n" for i, k in enumerate(ids)))
    args = [str(d / "plda.npz"), str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz"),
            "--num-utts", str(d / "num_utts")]
    assert score_plda.main(args + [str(d / "whole")]) == 0
    assert score_plda.main(args + [str(d / "blocked"), "--block-size", "5"]) == 0
    assert (d / "blocked").read_text() == (d / "whole").read_text()
    trials = read_trials(d / "trials")
    e, t = _rows(trials, ids)
    nu = np.array([1 + i % 3 for i in range(len(ids))], dtype=np.float64)
    ref = PldaBackend.load(d / "plda.npz").score_trials(emb, emb, e, t, nu)
    assert np.abs(read_scores(d / "blocked")[2] - ref).max() <= 5e-7


@pytest.mark.parametrize("m", [16 * 4 * 7, 16 * 4 * 7 + 5, 5000])
def test_top_k_rows_exact_with_ties(m):
    rng = np.random.default_rng(m)
    k = 7
    # Scores on a coarse grid: many ties at the k-th value; one row all equal.
    s = (np.round(rng.normal(size=(9, m)) * 4) / 4).astype(np.float32)
    s[3] = 0.5
    got = np.sort(top_k_rows(s, k), axis=1)
    ref = np.sort(np.partition(s, m - k, axis=1)[:, m - k:], axis=1)
    assert np.array_equal(got, ref)


def test_cohort_stats_cache_any_request_order_equals_all_at_once():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    cohort = rng.normal(size=(2000, 16)).astype(np.float32)
    for k in (None, 20):
        used = np.zeros(300, dtype=bool)
        used[rng.integers(0, 300, 200)] = True
        ref_mu, ref_sd = cohort_stats_of_rows(x, used, cohort, top_k=k)
        cache = CohortStatsCache(x, CohortScorer(cohort, top_k=k, block_size=64))
        rows = np.flatnonzero(used)
        for part in np.array_split(rng.permutation(np.repeat(rows, 3)), 17):
            mu, sd = cache.lookup(part)
            assert np.array_equal(mu, ref_mu[part]) and np.array_equal(sd, ref_sd[part])
        assert np.array_equal(cache.done, used)


def test_score_cosine_names_missing_trials_and_writes_nothing(setup, capsys):
    d, ids, _, _ = setup
    text = (d / "trials").read_text()
    (d / "trials").write_text("s00-u0 nobody target\n" + text)
    args = [str(d / "trials"), str(d / "emb.npz"), str(d / "emb.npz"), str(d / "out"),
            "--block-size", "3"]
    assert score_cosine.main(args) == 1
    err = capsys.readouterr().err
    assert "nobody" in err and f"1 of {len(text.splitlines()) + 1} trials" in err
    assert not (d / "out").exists() and not list(d.glob("out.tmp*"))


def _labelled_pair(path, n, seed):
    """A trial list and two systems' scores: same labels, independent noise, the second
    system on another scale and offset (3 x + 5)."""
    from TrainAndTest.io.trials import Trials, write_trials

    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int8)
    enrol = [f"e{i}" for i in range(n)]
    test = [f"t{i}" for i in range(n)]
    write_trials(path / "trials", Trials(enrol, test, y))
    a = y + rng.normal(0, 0.7, n)
    b = 3 * (y + rng.normal(0, 0.7, n)) + 5
    write_scores(path / "a", enrol, test, a)
    write_scores(path / "b", enrol, test, b)
    return y, a, b


def test_fuse_learned_weights_on_dev_beat_each_system_on_eval(tmp_path, capsys):
    from TrainAndTest.metrics.error_rates import compute_eer

    dev, ev = tmp_path / "dev", tmp_path / "eval"
    dev.mkdir(), ev.mkdir()
    _labelled_pair(dev, 4000, 0)
    y, a, b = _labelled_pair(ev, 4000, 1)
    args = ["--fit-trials", str(dev / "trials"), "--fit-scores", f"{dev / 'a'},{dev / 'b'}",
            "--save", str(tmp_path / "fusion.npz"), "--block-size", "700"]
    assert fuse_scores.main(args + [str(ev / "trials"), str(ev / "a"), str(ev / "b"),
                                    str(ev / "fused")]) == 0
    saved = np.load(tmp_path / "fusion.npz")
    w, bias = saved["weights"], float(saved["bias"])
    # Equal noise on both systems: the learned weights undo the second one's scale.
    assert w[1] / w[0] == pytest.approx(1 / 3, rel=0.15)
    _, _, fused = read_scores(ev / "fused")
    np.testing.assert_allclose(fused, w[0] * a + w[1] * b + bias, atol=2e-6)
    eer = {k: compute_eer(s, y)[0] for k, s in (("a", a), ("b", b), ("fused", fused))}
    assert eer["fused"] < 0.85 * min(eer["a"], eer["b"])  # independent noise: d' x sqrt 2
    # A calibrated LLR at p_target 0.5: the target/non-target log odds are near zero at
    # the point where both are equally likely, i.e. mean LLR of targets > 0 > non-targets.
    assert fused[y == 1].mean() > 0 > fused[y == 0].mean()
    # --fusion applies the saved weights and bias to another list without fitting again
    assert fuse_scores.main(["--fusion", str(tmp_path / "fusion.npz"), str(ev / "trials"),
                             str(ev / "a"), str(ev / "b"), str(ev / "applied")]) == 0
    assert read_scores(ev / "applied")[2].tolist() == fused.tolist()


def test_fuse_saved_fusion_bad_input(tmp_path, capsys):
    _labelled_pair(tmp_path, 50, 0)
    t, a, b = str(tmp_path / "trials"), str(tmp_path / "a"), str(tmp_path / "b")
    np.savez(tmp_path / "three.npz", weights=np.ones(3), bias=np.asarray(0.0))
    np.savez(tmp_path / "other.npz", w=np.ones(2))
    assert fuse_scores.main(["--fusion", str(tmp_path / "three.npz"), t, a, b,
                             str(tmp_path / "out")]) == 1
    assert "three.npz: 3 weights for 2 score files" in capsys.readouterr().err
    assert fuse_scores.main(["--fusion", str(tmp_path / "other.npz"), t, a, b,
                             str(tmp_path / "out")]) == 1
    assert "other.npz: not a fusion file written by --save" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        fuse_scores.main(["--fusion", str(tmp_path / "three.npz"), "--weights", "1,1", t, a, b,
                          str(tmp_path / "out")])
    assert e.value.code == 2
    assert not (tmp_path / "out").exists()


def test_fuse_learned_weights_bad_options(tmp_path, capsys):
    _labelled_pair(tmp_path, 50, 0)
    t, a, b = str(tmp_path / "trials"), str(tmp_path / "a"), str(tmp_path / "b")
    for extra in (["--fit-trials", t], ["--fit-trials", t, "--fit-scores", a],
                  ["--fit-trials", t, "--fit-scores", f"{a},{b}", "--weights", "1,1"]):
        with pytest.raises(SystemExit) as e:
            fuse_scores.main(extra + [t, a, b, str(tmp_path / "out")])
        assert e.value.code == 2
    assert "--fit-scores has 1 files for 2" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_saved_parameters_keep_npz_naming_and_leave_no_temporary(tmp_path):
    _labelled_pair(tmp_path, 300, 2)
    t, a, b = str(tmp_path / "trials"), str(tmp_path / "a"), str(tmp_path / "b")
    assert calibrate.main([t, a, a, str(tmp_path / "cal_out"), "--save",
                           str(tmp_path / "cal")]) == 0
    assert fuse_scores.main(["--fit-trials", t, "--fit-scores", f"{a},{b}", "--save",
                             str(tmp_path / "fusion"), t, a, b, str(tmp_path / "out")]) == 0
    cal = np.load(tmp_path / "cal.npz")
    fusion = np.load(tmp_path / "fusion.npz")
    assert cal["weights"].shape == (1,) and fusion["weights"].shape == (2,)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _speaker_list(path, n_spk, seed, n_noise):
    """Trials between speakers' utterances (``s<k>-<i>``): one informative system and
    ``n_noise`` pure-noise ones; returns (trials, utt2spk, score paths, labels)."""
    from TrainAndTest.io.trials import Trials, write_trials

    rng = np.random.default_rng(seed)
    utts = [f"s{k:02d}-{i}" for k in range(n_spk) for i in range(4)]
    (path / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in utts))
    pairs = [(a, b) for a in utts for b in utts if a < b and rng.random() < 0.12]
    enrol, test = [a for a, _ in pairs], [b for _, b in pairs]
    y = np.array([a.split("-")[0] == b.split("-")[0] for a, b in pairs], np.int8)
    write_trials(path / "trials", Trials(enrol, test, y))
    files = []
    for k in range(1 + n_noise):
        s = (2.0 * y if k == 0 else 0) + rng.normal(0, 1, len(y))
        write_scores(path / f"in{k}", enrol, test, s)
        files.append(str(path / f"in{k}"))
    return str(path / "trials"), str(path / "utt2spk"), files, y


def test_fuse_out_of_fold_scores_hold_each_fold_out(tmp_path):
    """--cv-out: each fold of enrolment speakers is fused with the weights learned on the
    trials that touch none of its speakers (checked against fitting that subset alone), and
    with many noise inputs the out-of-fold Cllr shows the overfitting the in-sample one hides."""
    from TrainAndTest.io.trials import Trials, write_trials
    from TrainAndTest.metrics.error_rates import compute_cllr

    trials, u2s, files, y = _speaker_list(tmp_path, 30, 0, 25)
    out, cv = tmp_path / "fused", tmp_path / "cv"
    assert fuse_scores.main(["--fit-trials", trials, "--fit-scores", ",".join(files),
                             "--cv-groups", u2s, "--cv-out", str(cv), "--cv-folds", "3",
                             trials, *files, str(out)]) == 0
    listed = read_trials(trials)
    e, t, oof = read_scores(cv)
    assert (e, t) == (listed.enrol, listed.test)
    in_sample = read_scores(out)[2]
    assert compute_cllr(oof, y) > compute_cllr(in_sample, y) + 0.02
    # fold 1 again, by hand: its speakers per the documented deal, the fit on the rest
    speakers = np.random.default_rng(0).permutation(np.array(sorted({u[:3] for u in listed.enrol})))
    fold0 = set(speakers[0::3])
    train = [i for i in range(len(y)) if listed.enrol[i][:3] not in fold0
             and listed.test[i][:3] not in fold0]
    held = [i for i in range(len(y)) if listed.enrol[i][:3] in fold0]
    write_trials(tmp_path / "train", Trials([listed.enrol[i] for i in train],
                                            [listed.test[i] for i in train], y[train]))
    assert fuse_scores.main(["--fit-trials", str(tmp_path / "train"), "--fit-scores",
                             ",".join(files), "--save", str(tmp_path / "f0.npz"), trials, *files,
                             str(tmp_path / "by_hand")]) == 0
    np.testing.assert_allclose(oof[held], read_scores(tmp_path / "by_hand")[2][held], atol=2e-5)


def test_fuse_out_of_fold_bad_input(tmp_path, capsys):
    trials, u2s, files, _ = _speaker_list(tmp_path, 4, 1, 1)
    base = ["--fit-trials", trials, "--fit-scores", ",".join(files)]
    out = [trials, *files, str(tmp_path / "out")]
    for extra in (["--cv-groups", u2s], ["--cv-groups", u2s, "--cv-out", "x", "--cv-folds", "1"]):
        with pytest.raises(SystemExit) as e:
            fuse_scores.main(base + extra + out)
        assert e.value.code == 2
    with pytest.raises(SystemExit):
        fuse_scores.main(["--cv-groups", u2s, "--cv-out", "x"] + out)
    assert "--cv-groups needs --fit-trials" in capsys.readouterr().err
    cv = str(tmp_path / "cv")
    assert fuse_scores.main(base + ["--cv-groups", u2s, "--cv-out", cv, "--cv-folds", "5"] + out) == 1
    assert "3 enrolment speakers for 5 folds" in capsys.readouterr().err
    lines = (tmp_path / "utt2spk").read_text().splitlines()
    (tmp_path / "utt2spk").write_text("\n".join(lines[1:]) + "\n")  # s00-0 has no speaker
    assert fuse_scores.main(base + ["--cv-groups", u2s, "--cv-out", cv] + out) == 1
    err = capsys.readouterr().err
    assert "utt2spk: no speaker for" in err and "(e.g. s00-0)" in err
    assert not (tmp_path / "cv").exists()
