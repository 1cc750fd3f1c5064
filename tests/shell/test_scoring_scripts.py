"""steps/score_{cosine,plda,norm}.sh end to end on tiny embedding dirs in tmp_path."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import kaldiio
import numpy as np
import pytest


def _fake_cmd(tmp_path):
    """A minimal run.pl stand-in: `cmd LOG command...` runs the command into LOG."""
    p = tmp_path / "local_cmd.sh"
    p.write_text(
        '#!/usr/bin/env bash\nlog=$1; shift; mkdir -p "$(dirname "$log")"\n'
        'bash -c "$*" > "$log" 2>&1\n'
    )
    p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return str(p)


def _write_dir(d, ids, mat):
    d.mkdir(parents=True, exist_ok=True)
    with kaldiio.WriteHelper(f"ark,scp:{d}/xvector.ark,{d}/xvector.scp") as w:
        for k, v in zip(ids, mat):
            w(k, v.astype(np.float32))


@pytest.fixture
def setup(tmp_path):
    rng = np.random.default_rng(0)
    dim = 12
    centres = rng.normal(size=(40, dim)) * 2
    # Training set: 30 speakers x 4 utterances; test: 10 other speakers x 4 utterances.
    train_ids = [f"tr{s:02d}-u{u}" for s in range(30) for u in range(4)]
    train = centres[np.repeat(np.arange(30), 4)] + rng.normal(size=(120, dim))
    test_ids = [f"te{s:02d}-u{u}" for s in range(10) for u in range(4)]
    test = centres[30 + np.repeat(np.arange(10), 4)] + rng.normal(size=(40, dim))
    _write_dir(tmp_path / "xv_train", train_ids, train)
    _write_dir(tmp_path / "xv_test", test_ids, test)
    spk_ids = [f"tr{s:02d}" for s in range(30)]
    spk_means = train.reshape(30, 4, dim).mean(axis=1)
    with kaldiio.WriteHelper(
        f"ark,scp:{tmp_path}/xv_train/spk_xvector.ark,{tmp_path}/xv_train/spk_xvector.scp"
    ) as w:
        for k, v in zip(spk_ids, spk_means):
            w(k, v.astype(np.float32))
    data = tmp_path / "data_train"
    data.mkdir()
    (data / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in train_ids))
    lines = []
    for a in range(40):
        for b in range(a + 1, 40):
            tgt = test_ids[a][:4] == test_ids[b][:4]
            lines.append(f"{test_ids[a]} {test_ids[b]} {'target' if tgt else 'nontarget'}\n")
    (tmp_path / "trials").write_text("".join(lines))
    return tmp_path


def _run(args, repo, env, check=True):
    # `python` in the scripts must be this interpreter (the venv's), as after `. path.sh`.
    env = dict(env, PATH=os.path.dirname(sys.executable) + os.pathsep + env["PATH"])
    r = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def _eer(stdout):
    line = next(ln for ln in stdout.splitlines() if ln.startswith("EER: "))
    return float(line.split()[1].rstrip("%"))


def test_cosine_plda_norm_scripts(setup, repo, recipe_env):
    t = setup
    cmd = _fake_cmd(t)
    r = _run(
        [
            "steps/score_cosine.sh",
            "--cmd",
            cmd,
            str(t / "trials"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "scores" / "cosine"),
        ],
        repo,
        recipe_env,
    )
    eer_cos = _eer(r.stdout)
    assert "minDCF(0.01): " in r.stdout
    assert len((t / "scores" / "cosine").read_text().splitlines()) == 780
    assert (t / "scores" / "log" / "score_cosine.cosine.log").exists()

    r = _run(
        [
            "steps/score_plda.sh",
            "--cmd",
            cmd,
            "--lda-dim",
            "8",
            str(t / "data_train"),
            str(t / "xv_train"),
            str(t / "trials"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "scores" / "plda"),
        ],
        repo,
        recipe_env,
    )
    eer_plda = _eer(r.stdout)
    backend = t / "xv_train" / "plda_kaldi_lda8_lntrue_it10_r100.npz"
    assert backend.exists()
    assert eer_cos < 15 and eer_plda < 15  # well-separated synthetic speakers
    # A rerun reuses the trained back-end.
    mtime = backend.stat().st_mtime_ns
    r = _run(
        [
            "steps/score_plda.sh",
            "--cmd",
            cmd,
            "--lda-dim",
            "8",
            str(t / "data_train"),
            str(t / "xv_train"),
            str(t / "trials"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "scores" / "plda"),
        ],
        repo,
        recipe_env,
    )
    assert "up to date" in r.stdout + r.stderr and backend.stat().st_mtime_ns == mtime

    r = _run(
        [
            "steps/score_norm.sh",
            "--cmd",
            cmd,
            "--top-k",
            "10",
            str(t / "trials"),
            str(t / "scores" / "cosine"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "xv_train"),
            str(t / "scores" / "cosine_asnorm"),
        ],
        repo,
        recipe_env,
    )
    assert _eer(r.stdout) <= eer_cos + 2.0
    assert len((t / "scores" / "cosine_asnorm").read_text().splitlines()) == 780

    r = _run(
        [
            "steps/score_norm.sh",
            "--cmd",
            cmd,
            "--method",
            "snorm",
            "--plda",
            str(backend),
            "--cohort-spk",
            "false",
            str(t / "trials"),
            str(t / "scores" / "plda"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "xv_train"),
            str(t / "scores" / "plda_snorm"),
        ],
        repo,
        recipe_env,
    )
    assert _eer(r.stdout) <= eer_plda + 2.0
    r = _run(
        ["steps/score_norm.sh", "--method", "xnorm", "a", "b", "c", "d", "e", "f"],
        repo,
        recipe_env,
        check=False,
    )
    assert r.returncode == 1 and "--method must be" in r.stderr

    # compute_metrics with figures and RESULTS.md
    r = _run(
        [
            "python",
            "-m",
            "TrainAndTest.bin.compute_metrics",
            str(t / "trials"),
            str(t / "scores" / "plda"),
            "--det",
            str(t / "det.png"),
            "--hist",
            str(t / "hist.png"),
            "--results",
            str(t / "RESULTS.md"),
            "--thresholds",
            "--tsne",
            str(t / "tsne.png"),
            "--embeddings",
            str(t / "xv_train"),
            "--utt2spk",
            str(t / "data_train" / "utt2spk"),
        ],
        repo,
        recipe_env,
    )
    assert "| FAR 1% |" in r.stdout
    for f in ("det.png", "hist.png", "tsne.png"):
        assert (t / f).read_bytes()[:4] == b"\x89PNG"
    assert "| plda |" in (t / "RESULTS.md").read_text()


def test_missing_embeddings_and_bad_options(setup, repo, recipe_env):
    t = setup
    cmd = _fake_cmd(t)
    with open(t / "trials", "a") as f:
        f.write("te00-u0 nobody-1 nontarget\nghost-2 te00-u1 target\n")
    r = _run(
        [
            "steps/score_cosine.sh",
            "--cmd",
            cmd,
            str(t / "trials"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "scores" / "cosine"),
        ],
        repo,
        recipe_env,
        check=False,
    )
    assert r.returncode != 0
    assert "2 of 782 trials" in r.stderr and "ghost-2, nobody-1" in r.stderr
    assert not (t / "scores" / "cosine").exists()
    r = _run(
        [
            "steps/score_cosine.sh",
            "--cmd",
            cmd,
            "--allow-missing",
            "true",
            str(t / "trials"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "scores" / "cosine"),
        ],
        repo,
        recipe_env,
    )
    assert len((t / "scores" / "cosine").read_text().splitlines()) == 780
    assert "EER: " in r.stdout and "dropped 2" in r.stderr
    r = _run(["steps/score_cosine.sh", "--no-such-option", "1"], repo, recipe_env, check=False)
    assert r.returncode != 0 and "invalid option --no-such-option" in r.stderr
    r = _run(["steps/score_plda.sh", "a", "b"], repo, recipe_env, check=False)
    assert r.returncode == 1 and "Usage:" in r.stderr and "e.g.:" in r.stderr


def test_compute_metrics_rejects_nan(tmp_path, repo, recipe_env):
    (tmp_path / "trials").write_text("1 a b\n0 a c\n")
    (tmp_path / "scores").write_text("a b 0.5\na c NaN\n")
    r = _run(
        [
            "python",
            "-m",
            "TrainAndTest.bin.compute_metrics",
            str(tmp_path / "trials"),
            str(tmp_path / "scores"),
        ],
        repo,
        recipe_env,
        check=False,
    )
    assert r.returncode == 1
    assert f"{tmp_path / 'scores'}:2: score is NaN" in r.stderr
    (tmp_path / "scores").write_text("a b 0.5\na c -0.5\n")
    r = _run(
        [
            "python",
            "-m",
            "TrainAndTest.bin.compute_metrics",
            str(tmp_path / "trials"),
            str(tmp_path / "scores"),
        ],
        repo,
        recipe_env,
    )
    assert r.stdout.splitlines()[0].startswith("EER: 0.00%")
    assert "minDCF(0.01): 0.0000" in r.stdout


@pytest.mark.skipif(
    not (Path(__file__).resolve().parents[2] / "utils" / "run.pl").exists(),
    reason="utils/run.pl not present",
)
def test_score_cosine_with_run_pl(setup, repo, recipe_env):
    t = setup
    r = _run(
        [
            "steps/score_cosine.sh",
            "--cmd",
            "utils/run.pl",
            str(t / "trials"),
            str(t / "xv_test"),
            str(t / "xv_test"),
            str(t / "scores" / "c2"),
        ],
        repo,
        recipe_env,
    )
    assert "EER: " in r.stdout


def test_calibrate_then_cllr(tmp_path, repo, recipe_env):
    rng = np.random.default_rng(1)
    n = 400
    lab = rng.random(n) < 0.3
    raw = np.where(lab, rng.normal(5, 2, n), rng.normal(-1, 2, n)) * 10  # badly scaled
    trials = "".join(f"{'1' if t else '0'} e{i} t{i}\n" for i, t in enumerate(lab))
    (tmp_path / "trials").write_text(trials)
    (tmp_path / "scores").write_text("".join(f"e{i} t{i} {s}\n" for i, s in enumerate(raw)))
    out = tmp_path / "llr"
    _run(
        [
            "python",
            "-m",
            "TrainAndTest.bin.calibrate",
            str(tmp_path / "trials"),
            str(tmp_path / "scores"),
            str(tmp_path / "scores"),
            str(out),
            "--save",
            str(tmp_path / "cal.npz"),
        ],
        repo,
        recipe_env,
    )
    r = _run(
        [
            "python",
            "-m",
            "TrainAndTest.bin.compute_metrics",
            "--calibrated",
            str(tmp_path / "trials"),
            str(out),
        ],
        repo,
        recipe_env,
    )
    cllr = float(next(ln for ln in r.stdout.splitlines() if ln.startswith("Cllr:")).split()[1])
    r0 = _run(
        [
            "python",
            "-m",
            "TrainAndTest.bin.compute_metrics",
            "--calibrated",
            str(tmp_path / "trials"),
            str(tmp_path / "scores"),
        ],
        repo,
        recipe_env,
    )
    cllr0 = float(next(ln for ln in r0.stdout.splitlines() if ln.startswith("Cllr:")).split()[1])
    assert cllr < 0.5 < cllr0  # separable classes: calibrated Cllr well below 1
    assert "actDCF(0.01): " in r.stdout


def test_domain_adapted_plda_and_centring(tmp_path, repo, recipe_env):
    # Domain b has large session variability in 3 dimensions; a PLDA trained mostly on domain
    # a treats them as speaker dimensions. Up-weighting b's training speakers fixes that.
    rng = np.random.default_rng(0)
    dim = 12

    def speakers(prefix, n, per, noise):
        c = rng.normal(size=(n, dim)) * 2
        ids = [f"{prefix}{s:02d}-u{u}" for s in range(n) for u in range(per)]
        return ids, c[np.repeat(np.arange(n), per)] + rng.normal(size=(n * per, dim)) * noise

    noise_b = np.ones(dim)
    noise_b[:3] = 4.0
    ids_a, xa = speakers("a", 40, 6, np.ones(dim))
    ids_b, xb = speakers("b", 10, 6, noise_b)
    ids_t, xt = speakers("t", 10, 6, noise_b)
    _write_dir(tmp_path / "xv_train", ids_a + ids_b, np.concatenate([xa, xb]))
    _write_dir(tmp_path / "xv_test", ids_t, xt)
    train, test = tmp_path / "data_train", tmp_path / "data_test"
    for d, ids, dom in ((train, ids_a + ids_b, None), (test, ids_t, "b")):
        d.mkdir()
        ids = sorted(ids)
        (d / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in ids))
        spks = sorted({u.split("-")[0] for u in ids})
        (d / "spk2utt").write_text(
            "".join(f"{s} {' '.join(u for u in ids if u.startswith(s + '-'))}\n" for s in spks)
        )
        (d / "utt2domain").write_text("".join(f"{u} {dom or u[0]}\n" for u in ids))
    trials = tmp_path / "trials"
    trials.write_text("".join(
        f"{ids_t[a]} {ids_t[b]} {'target' if ids_t[a][:3] == ids_t[b][:3] else 'nontarget'}\n"
        for a in range(60) for b in range(a + 1, 60)
    ))  # fmt: skip
    r = _run(["utils/trials_domain.sh", str(trials), str(test / "utt2domain")], repo, recipe_env)
    assert r.stdout == "b\n"
    mixed = tmp_path / "mixed_trials"
    mixed.write_text(f"{ids_t[0]} {ids_a[0]} nontarget\n")
    r = _run(["utils/trials_domain.sh", str(mixed), str(test / "utt2domain")], repo, recipe_env)
    assert r.stdout == ""  # ids_a[0] has no domain in the test table

    cmd = _fake_cmd(tmp_path)
    common = ["steps/score_plda.sh", "--cmd", cmd, "--lda-dim", "0"]
    args = [str(train), str(tmp_path / "xv_train"), str(trials), str(tmp_path / "xv_test"),
            str(tmp_path / "xv_test")]  # fmt: skip
    eer_plain = _eer(_run(common + args + [str(tmp_path / "plain")], repo, recipe_env).stdout)
    r = _run(common + ["--adapt-domain", "b", "--domain-weight", "3"] + args
             + [str(tmp_path / "adapted")], repo, recipe_env)  # fmt: skip
    eer_adapted = _eer(r.stdout)
    assert (tmp_path / "xv_train" / "plda_kaldi_lda0_lntrue_it10_r100_bx3.npz").is_file()
    assert eer_adapted < 0.8 * eer_plain, (eer_plain, eer_adapted)
    r = _run(common + ["--adapt-domain", "b", "--domain-weight", "x"] + args
             + [str(tmp_path / "bad")], repo, recipe_env, check=False)  # fmt: skip
    assert r.returncode == 1 and "--domain-weight must be a positive integer, got 'x'" in r.stderr

    out = tmp_path / "xv_test_dc"
    _run(["steps/center_embeddings.sh", "--cmd", cmd, str(train), str(tmp_path / "xv_train"),
          str(test), str(tmp_path / "xv_test"), str(out)], repo, recipe_env)  # fmt: skip
    got = kaldiio.load_scp(str(out / "xvector.scp"))
    unit = xb / np.linalg.norm(xb, axis=1, keepdims=True)
    want = xt[0] / np.linalg.norm(xt[0]) - unit.mean(axis=0)
    assert np.allclose(got[sorted(ids_t)[0]], want, atol=1e-5)
    assert (out / "spk_xvector.scp").is_file() and (out / "num_utts.ark").is_file()
    # a rerun with the same inputs skips; other embeddings redo the work
    mtime = (out / "xvector.scp").stat().st_mtime_ns
    r = _run(["steps/center_embeddings.sh", "--cmd", cmd, str(train), str(tmp_path / "xv_train"),
              str(test), str(tmp_path / "xv_test"), str(out)], repo, recipe_env)  # fmt: skip
    assert "up to date" in r.stderr + r.stdout and (out / "xvector.scp").stat().st_mtime_ns == mtime
    r = _run(["steps/center_embeddings.sh", "--cmd", cmd, "--length-norm", "false", str(train),
              str(tmp_path / "xv_train"), str(test), str(tmp_path / "xv_test"), str(out)],
             repo, recipe_env)  # fmt: skip
    assert "up to date" not in r.stderr + r.stdout
    assert not np.allclose(kaldiio.load_scp(str(out / "xvector.scp"))[sorted(ids_t)[0]], want)
    # --one-domain (submean): the mean of all training embeddings, utt2domain not read
    (test / "utt2domain").unlink()
    sm = tmp_path / "xv_test_sm"
    _run(["steps/center_embeddings.sh", "--cmd", cmd, "--one-domain", "true", str(train),
          str(tmp_path / "xv_train"), str(test), str(tmp_path / "xv_test"), str(sm)],
         repo, recipe_env)  # fmt: skip
    xall = np.concatenate([xa, xb])
    unit_all = xall / np.linalg.norm(xall, axis=1, keepdims=True)
    want_sm = xt[0] / np.linalg.norm(xt[0]) - unit_all.mean(axis=0)
    assert np.allclose(kaldiio.load_scp(str(sm / "xvector.scp"))[sorted(ids_t)[0]], want_sm, atol=1e-5)
    r = _run(["steps/center_embeddings.sh", "--cmd", cmd, str(train), str(tmp_path / "xv_train"),
              str(test), str(tmp_path / "xv_test"), str(tmp_path / "bad_dc")], repo, recipe_env,
             check=False)  # fmt: skip
    assert r.returncode == 1 and f"no such file {test / 'utt2domain'}" in r.stderr


def test_fuse_scores(tmp_path, repo, recipe_env):
    # Two systems with independent errors: their sum separates the classes better than either.
    rng = np.random.default_rng(2)
    n = 2000
    lab = rng.random(n) < 0.5
    trials = "".join(f"e{i} t{i} {'target' if t else 'nontarget'}\n" for i, t in enumerate(lab))
    (tmp_path / "trials").write_text(trials)
    for name in ("a", "b"):
        s = lab * 1.0 + rng.normal(0, 1, n)
        order = rng.permutation(n)  # any line order
        (tmp_path / name).write_text("".join(f"e{i} t{i} {s[i]}\n" for i in order))
    r = _run(["python", "-m", "TrainAndTest.bin.fuse_scores", str(tmp_path / "trials"),
              str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "ab")], repo, recipe_env)  # fmt: skip
    lines = (tmp_path / "ab").read_text().splitlines()
    assert [ln.split()[:2] for ln in lines] == [[f"e{i}", f"t{i}"] for i in range(n)]
    a = dict(
        (ln.split()[0], float(ln.split()[2])) for ln in (tmp_path / "a").read_text().splitlines()
    )
    b = dict(
        (ln.split()[0], float(ln.split()[2])) for ln in (tmp_path / "b").read_text().splitlines()
    )
    assert all(
        abs(float(ln.split()[2]) - a[ln.split()[0]] - b[ln.split()[0]]) < 1e-5 for ln in lines
    )

    def eer(path):
        r = _run(["python", "-m", "TrainAndTest.bin.compute_metrics", str(tmp_path / "trials"),
                  str(path)], repo, recipe_env)  # fmt: skip
        return _eer(r.stdout)

    assert eer(tmp_path / "ab") < 0.9 * min(eer(tmp_path / "a"), eer(tmp_path / "b"))
    r = _run(["python", "-m", "TrainAndTest.bin.fuse_scores", "--weights", "1", str(tmp_path / "trials"),
              str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "x")], repo, recipe_env,
             check=False)  # fmt: skip
    assert r.returncode == 2 and "--weights has 1 values for 2 score files" in r.stderr
    (tmp_path / "short").write_text("e0 t0 1.0\n")
    r = _run(["python", "-m", "TrainAndTest.bin.fuse_scores", str(tmp_path / "trials"),
              str(tmp_path / "a"), str(tmp_path / "short"), str(tmp_path / "x")], repo, recipe_env,
             check=False)  # fmt: skip
    assert r.returncode == 1 and "have no score in" in r.stderr and not (tmp_path / "x").exists()


def test_combine_embeddings_multi_condition_plda(tmp_path, repo, recipe_env):
    # A telephone-like channel adds large per-utterance variability in 3 dimensions. A PLDA
    # trained on the clean back-end set alone treats them as speaker dimensions; trained on
    # the set and its channel copy (steps/combine_embeddings.sh) it learns they are not.
    rng = np.random.default_rng(1)
    dim, n, per = 12, 40, 6
    centres = rng.normal(size=(n + 10, dim)) * 2
    chan = np.zeros(dim)
    chan[:3] = 5.0

    def utts(prefix, first, count, channel):
        ids = [f"{prefix}{s:02d}-u{u}" for s in range(count) for u in range(per)]
        x = centres[first + np.repeat(np.arange(count), per)] + rng.normal(size=(count * per, dim))
        if channel:
            x = x + rng.normal(size=x.shape) * chan
        return ids, x

    ids, clean = utts("s", 0, n, False)
    copy = clean + rng.normal(size=clean.shape) * chan  # the same utterances through the channel
    test_ids, test = utts("t", n, 10, True)
    _write_dir(tmp_path / "xv_pool", ids, clean)
    _write_dir(tmp_path / "xv_pool_tel", ids, copy)
    _write_dir(tmp_path / "xv_test", test_ids, test)
    for name in ("pool", "pool_tel"):
        d = tmp_path / name
        d.mkdir()
        (d / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in ids))
        (d / "utt2domain").write_text("".join(f"{u} {'x' if u < 's20' else 'y'}\n" for u in ids))
    lines = [f"{a} {b} {'target' if a[:3] == b[:3] else 'nontarget'}\n"
             for i, a in enumerate(test_ids) for b in test_ids[i + 1:]]
    (tmp_path / "trials").write_text("".join(lines))
    comb = [str(repo / "steps" / "combine_embeddings.sh"), str(tmp_path / "pool"),
            str(tmp_path / "xv_pool"), str(tmp_path / "pool_tel"), str(tmp_path / "xv_pool_tel"),
            str(tmp_path / "mc"), str(tmp_path / "xv_mc")]
    _run(comb, repo, recipe_env)
    u2s = dict(line.split() for line in (tmp_path / "mc" / "utt2spk").read_text().splitlines())
    assert len(u2s) == 2 * len(ids) and u2s["tel-s07-u3"] == u2s["s07-u3"] == "s07"
    assert (tmp_path / "mc" / "spk2utt").read_text().splitlines()[0] == \
        "s00 " + " ".join(sorted([f"s00-u{u}" for u in range(per)] + [f"tel-s00-u{u}" for u in range(per)]))
    u2d = dict(line.split() for line in (tmp_path / "mc" / "utt2domain").read_text().splitlines())
    assert u2d["tel-s25-u0"] == u2d["s25-u0"] == "y"
    scp = dict(kaldiio.load_scp(str(tmp_path / "xv_mc" / "xvector.scp")))
    assert np.allclose(scp["tel-s03-u1"], copy[3 * per + 1]) and np.allclose(scp["s03-u1"], clean[3 * per + 1])
    # a rerun with the same inputs leaves the files (and back-ends trained on them) untouched
    before = {f: (tmp_path / "mc" / f).stat().st_mtime_ns for f in ("utt2spk", "spk2utt")}
    scp_time = (tmp_path / "xv_mc" / "xvector.scp").stat().st_mtime_ns
    _run(comb, repo, recipe_env)
    assert before == {f: (tmp_path / "mc" / f).stat().st_mtime_ns for f in before}
    assert (tmp_path / "xv_mc" / "xvector.scp").stat().st_mtime_ns == scp_time
    # re-extracted copy embeddings (same scp lines, newer file): the scp is published again,
    # so a PLDA trained on the old embeddings is out of date
    later = scp_time + 5 * 10**9
    os.utime(tmp_path / "xv_pool_tel" / "xvector.scp", ns=(later, later))
    _run(comb, repo, recipe_env)
    assert (tmp_path / "xv_mc" / "xvector.scp").stat().st_mtime_ns > scp_time
    assert before == {f: (tmp_path / "mc" / f).stat().st_mtime_ns for f in before}

    cmd = _fake_cmd(tmp_path)
    eers = {}
    for name, data, xv in (("clean", "pool", "xv_pool"), ("mc", "mc", "xv_mc")):
        r = _run([str(repo / "steps" / "score_plda.sh"), "--cmd", cmd, "--lda-dim", "0",
                  str(tmp_path / data), str(tmp_path / xv), str(tmp_path / "trials"),
                  str(tmp_path / "xv_test"), str(tmp_path / "xv_test"),
                  str(tmp_path / f"scores_{name}")], repo, recipe_env)
        eers[name] = _eer(r.stdout)
    assert eers["mc"] < 0.6 * eers["clean"], eers

    # bad input: a copy id that meets an original once prefixed, a missing embedding
    (tmp_path / "pool_tel" / "utt2spk").write_text("00-u0 s00\n")
    r = _run([*comb[:1], "--prefix", "s", *comb[1:]], repo, recipe_env, check=False)
    assert r.returncode != 0 and "00-u0 has no embedding" in r.stderr
    (tmp_path / "xv_pool_tel" / "xvector.scp").write_text(
        (tmp_path / "xv_pool_tel" / "xvector.scp").read_text().replace("s00-u0 ", "00-u0 ", 1))
    r = _run([*comb[:1], "--prefix", "s", *comb[1:]], repo, recipe_env, check=False)
    assert r.returncode != 0 and "already has s00-u0; give another --prefix" in r.stderr
