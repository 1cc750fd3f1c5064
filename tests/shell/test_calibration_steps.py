"""steps/make_calibration_split.sh, subset_embeddings.sh and fit_operating_point.sh: their
outputs, and honest skipping (a rerun skips only when the inputs and options are unchanged)."""

from __future__ import annotations

import subprocess

import kaldiio
import numpy as np


def _step(repo, env, *args):
    proc = subprocess.run([f"steps/{args[0]}", *map(str, args[1:])], cwd=repo, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _train(tmp_path, speakers=20, utts=3):
    d = tmp_path / "train"
    d.mkdir()
    utt = [f"s{s:02d}-{u}" for s in range(speakers) for u in range(utts)]
    (d / "utt2spk").write_text("".join(f"{u} {u[:3]}\n" for u in utt))
    (d / "wav.scp").write_text("".join(f"{u} /x/{u}.wav\n" for u in utt))
    (d / "spk2utt").write_text("".join(
        f"s{s:02d} {' '.join(u for u in utt if u.startswith(f's{s:02d}-'))}\n"
        for s in range(speakers)))
    return d, utt


def test_split_and_subset_embeddings_skip_only_when_unchanged(tmp_path, repo, recipe_env):
    train, utts = _train(tmp_path)
    calib, rest = tmp_path / "calib", tmp_path / "rest"
    text = _step(repo, recipe_env, "make_calibration_split.sh", train, calib, rest)
    assert "2 speakers held out" in text and (calib / "trials").is_file()
    held = (calib / "spk2utt").read_text()
    assert "up to date" in _step(repo, recipe_env, "make_calibration_split.sh", train, calib, rest)
    text = _step(repo, recipe_env, "make_calibration_split.sh", "--seed", "7", train, calib, rest)
    assert "up to date" not in text and (calib / "spk2utt").read_text() != held
    # embeddings of the subsets come from the training set's
    xdir = tmp_path / "xvectors_train"
    xdir.mkdir()
    rng = np.random.default_rng(0)
    with kaldiio.WriteHelper(f"ark,scp:{xdir}/xvector.ark,{xdir}/xvector.scp") as w:
        for u in utts:
            w(u, rng.normal(size=4).astype(np.float32))
    out = tmp_path / "xvectors_rest"
    _step(repo, recipe_env, "subset_embeddings.sh", rest, xdir, out)
    rest_utts = {ln.split()[0] for ln in (rest / "utt2spk").read_text().splitlines()}
    assert {ln.split()[0] for ln in (out / "xvector.scp").read_text().splitlines()} == rest_utts
    means = dict(kaldiio.load_scp(str(out / "spk_xvector.scp")))
    full = dict(kaldiio.load_scp(str(xdir / "xvector.scp")))
    spk = sorted(means)[0]
    mine = [u for u in rest_utts if u.startswith(spk + "-")]
    assert np.allclose(means[spk], np.mean([full[u] for u in mine], axis=0), atol=1e-6)
    assert "up to date" in _step(repo, recipe_env, "subset_embeddings.sh", rest, xdir, out)
    _step(repo, recipe_env, "make_calibration_split.sh", "--seed", "8", train, calib, rest)
    assert "up to date" not in _step(repo, recipe_env, "subset_embeddings.sh", rest, xdir, out)
    # a subset whose utterances have no embedding is an error naming the counts
    (xdir / "xvector.scp").write_text("".join(
        ln for ln in (xdir / "xvector.scp").read_text().splitlines(keepends=True)[:10]))
    proc = subprocess.run(["steps/subset_embeddings.sh", str(rest), str(xdir), str(out)],
                          cwd=repo, env=recipe_env, capture_output=True, text=True)
    assert proc.returncode == 1 and "has embeddings of" in proc.stderr


def test_fit_operating_point_skips_only_when_unchanged(tmp_path, repo, recipe_env):
    rng = np.random.default_rng(1)
    n = 400
    s = np.r_[rng.normal(0.6, 0.1, n), rng.normal(0.2, 0.1, n)]
    trials = tmp_path / "trials"
    trials.write_text("".join(f"e{i} t{i} {'target' if i < n else 'nontarget'}\n"
                              for i in range(2 * n)))
    scores = tmp_path / "scores"
    scores.write_text("".join(f"e{i} t{i} {v:.6f}\n" for i, v in enumerate(s)))
    exp = tmp_path / "exp"
    exp.mkdir()
    text = _step(repo, recipe_env, "fit_operating_point.sh", trials, scores, exp)
    assert "actDCF(0.01)=" in text and "Cllr=" in text
    for f in ("calibration.npz", "thresholds.json", "fit.txt"):
        assert (exp / "calibration" / f).is_file(), f
    assert "up to date" in _step(repo, recipe_env, "fit_operating_point.sh", trials, scores, exp)
    scores.write_text("".join(f"e{i} t{i} {2 * v:.6f}\n" for i, v in enumerate(s)))
    assert "up to date" not in _step(repo, recipe_env, "fit_operating_point.sh", trials, scores, exp)
    assert abs(float(np.load(exp / "calibration" / "calibration.npz")["weights"][0]) - 20) < 3
