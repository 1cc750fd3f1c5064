"""local/fuse_exps.sh: each exp's validation-selected system, weights learned on the validation
list, every test list fused and reported; clear errors and nothing half-written on failure."""

from __future__ import annotations

import subprocess

import numpy as np

from TrainAndTest.metrics.error_rates import compute_eer


def _trials(path, n, rng):
    """A labelled list of ``n`` trials, half targets; returns (pairs, labels)."""
    labels = rng.permutation(np.r_[np.ones(n // 2, int), np.zeros(n - n // 2, int)])
    pairs = [(f"e{i}", f"t{i}") for i in range(n)]
    path.write_text("".join(f"{e} {t} {'target' if y else 'nontarget'}\n"
                            for (e, t), y in zip(pairs, labels)))
    return pairs, labels


def _scores(path, pairs, values):
    path.write_text("".join(f"{e} {t} {v:.6f}\n" for (e, t), v in zip(pairs, values)))


def _setup(tmp_path):
    """Two exps whose systems see the label through independent noise; B on a 3x scale,
    and A chose plda_adapt with domain weight 5 (its validation file is named ..._w5_...)."""
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    lists = {}
    for d, names in (("val", ["trials", "trials_x"]), ("test", ["trials", "trials_x", "trials_y"])):
        (data / d).mkdir(parents=True)
        for name in names:
            lists[(d, name)] = _trials(data / d / name, 600 if d == "test" else 1000, rng)
    (data / "val" / "utt2spk").write_text(  # ten speakers, both sides of a trial the same
        "".join(f"{s}{i} p{i % 10}\n" for i in range(1000) for s in "et"))
    exps = []
    for name, system, scale, extra in (("A", "plda_adapt", 1.0, "domain_weight: 5\n"),
                                       ("B", "cosine_asnorm", 3.0, "")):
        e = tmp_path / "exp" / name
        (e / "scores").mkdir(parents=True)
        (e / "selection.yaml").write_text(f"{extra}system: {system}\neer: 1.0\n")
        for (d, lst), (pairs, y) in lists.items():
            tag = f"{lst}_{d}"
            file = f"{system}_w5_{tag}" if (system == "plda_adapt" and d == "val") else f"{system}_{tag}"
            _scores(e / "scores" / file, pairs, scale * (y + rng.normal(0, 0.7, len(y))))
        exps.append(e)
    return data, exps, lists


def _run(repo, env, *args):
    return subprocess.run(["local/fuse_exps.sh", *map(str, args)], cwd=repo, env=env,
                          capture_output=True, text=True)


def _read(path):
    return np.array([float(ln.split()[2]) for ln in path.read_text().splitlines()])


def test_fusion_beats_each_system_and_reports(tmp_path, repo, recipe_env):
    data, exps, lists = _setup(tmp_path)
    out = tmp_path / "exp" / "fused"
    proc = _run(repo, recipe_env, "--data", data, "--names", "A B2", "val", "test", out, *exps)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "systems.txt").read_text().split("\n")[:2] == [
        "A:plda_adapt (domain weight 5)", "B2:cosine_asnorm"]
    w = np.load(out / "fusion.npz")["weights"]
    assert 2.0 < w[0] / w[1] < 4.5  # B's 3x scale undone (equal noise otherwise)
    for lst in ("trials", "trials_x", "trials_y"):
        pairs, y = lists[("test", lst)]
        fused = _read(out / "scores" / f"fused_{lst}_test")
        eer = compute_eer(fused, y)[0]
        for e, system in zip(exps, ("plda_adapt", "cosine_asnorm")):
            alone = compute_eer(_read(e / "scores" / f"{system}_{lst}_test"), y)[0]
            assert eer < 0.9 * alone
    results = (out / "RESULTS.md").read_text()
    assert "A:plda_adapt (domain weight 5), B2:cosine_asnorm" in results.splitlines()[0]
    for row in ("| fused | test/trials |", "| fused | test/trials_x |", "| A:plda_adapt | test/trials |",
                "| B2:cosine_asnorm | test/trials_y |",
                "| fused | test/mean(trials_*) |"):
        assert row in results, row
    validation = (out / "VALIDATION.md").read_text()
    assert "| fused | val/trials |" in validation and "| fused_cv | val/trials_x |" in validation
    # out of fold: a bit worse than in-sample, far better than one system
    cv, y = _read(out / "scores" / "fused_cv_trials_val"), lists[("val", "trials")][1]
    eer_cv, eer_in = compute_eer(cv, y)[0], compute_eer(_read(out / "scores" / "fused_trials_val"), y)[0]
    assert eer_in - 0.01 <= eer_cv < 0.9 * compute_eer(
        _read(exps[1] / "scores" / "cosine_asnorm_trials_val"), y)[0]
    assert not list(out.glob(".tmp.*"))


def test_missing_selection_or_scores_names_the_file_and_writes_nothing(tmp_path, repo, recipe_env):
    data, exps, _ = _setup(tmp_path)
    out = tmp_path / "exp" / "fused"
    (exps[1] / "scores" / "cosine_asnorm_trials_x_test").unlink()
    proc = _run(repo, recipe_env, "--data", data, "val", "test", out, *exps)
    assert proc.returncode != 0
    assert "cosine_asnorm_trials_x_test: no such score file" in proc.stderr
    assert not (out / "RESULTS.md").exists() and not list(out.glob(".tmp.*"))
    (exps[0] / "selection.yaml").unlink()
    proc = _run(repo, recipe_env, "--data", data, "val", "test", out, *exps)
    assert proc.returncode != 0 and "A/selection.yaml: no validation choice" in proc.stderr
    proc = _run(repo, recipe_env, "--data", data, "val", "test", out, exps[1])
    assert proc.returncode != 0 and "Usage" in proc.stderr
    # two exp dirs of one base name (e.g. the same config in two worktrees) need --names
    twin = tmp_path / "other" / "B"
    twin.parent.mkdir()
    twin.symlink_to(exps[1], target_is_directory=True)
    proc = _run(repo, recipe_env, "--data", data, "val", "test", out, exps[1], twin)
    assert proc.returncode != 0 and "same name (B B); give --names" in proc.stderr
    proc = _run(repo, recipe_env, "--data", data, "--names", "one", "val", "test", out, exps[1], twin)
    assert proc.returncode != 0 and "--names: 1 names for 2 exp dirs" in proc.stderr


def test_all_systems_fuses_every_compared_backend(tmp_path, repo, recipe_env):
    """--systems all: every candidate of selection.yaml is an input (plda_adapt at its chosen
    weight); a third independent view of the labels beats the two selected systems' fusion."""
    data, exps, lists = _setup(tmp_path)
    rng = np.random.default_rng(1)
    a = exps[0]
    (a / "selection.yaml").write_text("domain_weight: 5\nsystem: plda_adapt\neer: 1.0\n"
                                      "candidates:\n  cosine: 2.0\n  plda_adapt: 1.0\n")
    for (d, lst), (pairs, y) in lists.items():
        _scores(a / "scores" / f"cosine_{lst}_{d}", pairs, y + rng.normal(0, 0.7, len(y)))
    sel, every = tmp_path / "exp" / "sel", tmp_path / "exp" / "all"
    proc = _run(repo, recipe_env, "--data", data, "--systems", "all", "val", "test", every, *exps)
    assert proc.returncode != 0 and "B/selection.yaml: no candidates for --systems all" in proc.stderr
    with open(exps[1] / "selection.yaml", "a") as f:
        f.write("candidates:\n  cosine_asnorm: 1.0\n")
    sel, every = tmp_path / "exp" / "sel", tmp_path / "exp" / "all"
    assert _run(repo, recipe_env, "--data", data, "val", "test", sel, *exps).returncode == 0
    proc = _run(repo, recipe_env, "--data", data, "--systems", "all", "val", "test", every, *exps)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (every / "systems.txt").read_text().split("\n")[:3] == [
        "A:cosine", "A:plda_adapt (domain weight 5)", "B:cosine_asnorm"]
    assert len(np.load(every / "fusion.npz")["weights"]) == 3
    for lst in ("trials", "trials_x", "trials_y"):
        y = lists[("test", lst)][1]
        eers = [compute_eer(_read(o / "scores" / f"fused_{lst}_test"), y)[0] for o in (sel, every)]
        assert eers[1] < 0.9 * eers[0], eers
    assert "| A:cosine | test/trials |" in (every / "RESULTS.md").read_text()
    proc = _run(repo, recipe_env, "--data", data, "--systems", "best", "val", "test", every, *exps)
    assert proc.returncode != 0 and "--systems: expected selected or all, got 'best'" in proc.stderr


def test_two_validation_sets_fit_one_fusion_on_both(tmp_path, repo, recipe_env):
    """"val val2" (a channel copy: the same ids and trials): the weights are learned on both
    lists at once, exactly as a fit on their concatenation with the ids kept apart; each
    set gets its own in-sample and out-of-fold rows under its own ids."""
    data, exps, lists = _setup(tmp_path)
    rng = np.random.default_rng(2)
    (data / "val2").mkdir()
    for f in ("trials", "trials_x", "utt2spk"):
        (data / "val2" / f).write_text((data / "val" / f).read_text())
    # through the channel A's scores are noisier, B's as before
    for e, system, noise, scale in ((exps[0], "plda_adapt_w5", 2.0, 1.0), (exps[1], "cosine_asnorm", 0.7, 3.0)):
        for lst in ("trials", "trials_x"):
            pairs, y = lists[("val", lst)]
            _scores(e / "scores" / f"{system}_{lst}_val2", pairs, scale * (y + rng.normal(0, noise, len(y))))
    out, one = tmp_path / "exp" / "fused2", tmp_path / "exp" / "fused1"
    proc = _run(repo, recipe_env, "--data", data, "val val2", "test", out, *exps)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _run(repo, recipe_env, "--data", data, "val", "test", one, *exps).returncode == 0
    # by hand: the concatenation, ids of the second copy renamed
    hand = tmp_path / "hand"
    hand.mkdir()
    pairs, y = lists[("val", "trials")]
    both = [(f"v0/{e}", f"v0/{t}") for e, t in pairs] + [(f"v1/{e}", f"v1/{t}") for e, t in pairs]
    (hand / "trials").write_text("".join(f"{e} {t} {'target' if v else 'nontarget'}\n"
                                         for (e, t), v in zip(both, np.r_[y, y])))
    inputs = []
    for e, system in ((exps[0], "plda_adapt_w5"), (exps[1], "cosine_asnorm")):
        values = np.r_[_read(e / "scores" / f"{system}_trials_val"), _read(e / "scores" / f"{system}_trials_val2")]
        _scores(hand / system, both, values)
        inputs.append(str(hand / system))
    subprocess.run(["python", "-m", "TrainAndTest.bin.fuse_scores", "--fit-trials", str(hand / "trials"),
                    "--fit-scores", ",".join(inputs), "--save", str(hand / "f.npz"), str(hand / "trials"),
                    *inputs, str(hand / "out")], cwd=repo, env=recipe_env, check=True, capture_output=True)
    w2, w_hand, w1 = (np.load(p)["weights"] for p in (out / "fusion.npz", hand / "f.npz", one / "fusion.npz"))
    assert np.allclose(w2, w_hand, rtol=1e-6)
    assert w2[0] / w2[1] < 0.8 * (w1[0] / w1[1])  # A counts for less once its channel copy is seen
    validation = (out / "VALIDATION.md").read_text()
    for row in ("| fused | val/trials |", "| fused | val2/trials_x |", "| fused_cv | val/trials |",
                "| fused_cv | val2/trials_x |"):
        assert row in validation, row
    assert "learned on val/trials val2/trials " in validation
    for s in ("val", "val2"):
        ids = [ln.split()[:2] for ln in (out / "scores" / f"fused_cv_trials_{s}").read_text().splitlines()]
        assert ids == [list(p) for p in pairs], s
