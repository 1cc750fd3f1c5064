"""run.sh beyond the default run: --augment online, --feat-type mfcc (+ VAD, narrowband
--feat-conf) with an extra
LibriSpeech test set, CN-Celeb (enrolment set != test set) and VoxCeleb without the
Vox1-E/H lists, each end to end on tiny synthetic corpora (tests/recipe_fakes.py); and
every option error fails before stage 0.

Each end-to-end run trains one epoch on CPU (a few minutes on 2 cores)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import yaml

from tests.conftest import REPO
from tests.recipe_fakes import (
    make_cnceleb,
    make_librispeech,
    make_musan,
    make_rirs,
    make_sitw,
    make_voxceleb,
)

TINY_DEMO = ["--demo-speakers", "12", "--demo-utts", "8", "--demo-test-speakers", "4"]
FAST = ["--nj", "2", "--train-overrides", "--train_conf.epochs 1"]


def run_recipe(out: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    """./run.sh with data and exp under ``out``; stdout and stderr captured."""
    env = dict(os.environ, OMP_NUM_THREADS="1", SV_PROGRESS_INTERVAL="5")
    cmd = ["./run.sh", "--data", str(out / "data"), "--exp", str(out / "exp"), *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _ok(proc: subprocess.CompletedProcess) -> str:
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    return text


def _rows(results: str):
    """(system, trials, EER) of every results row."""
    return re.findall(r"^\| (\w+) \| (\S+) \| ([0-9.]+) \|", results, re.M)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--use-vad", "true", "--feat-type", "mfcc", "--augment", "offline"],
         "--use-vad true with --augment offline is not supported"),
        (["--use-vad", "true", "--feat-type", "fbank"],
         "--use-vad true needs an energy column (C0), which only --feat-type mfcc has"),
        (["--use-vad", "true", "--feat-type", "spect"], "got --feat-type spect"),
        (["--extra-test-sets", "sitw_eval timit"], "--extra-test-sets: unknown set 'timit'"),
        (["--extra-test-sets", "demo_dev_tel"],
         "demo_dev_tel needs demo_dev among the corpus's test sets"),
        (["--extra-test-sets", "librispeech_test_clean", "--librispeech-root", "/no/such"],
         "corpus root '/no/such/test-clean' does not exist"),
        (["--min-frames", "300", "--max-frames", "200"], "--min-frames 300 is more than"),
        (["--augment", "online", "--musan-root", "/no/musan"], "--augment online needs --musan-root"),
        (["--corpus", "voxceleb", "--voxceleb1-root", "/no/vox1"], "corpus root '/no/vox1' does not exist"),
        (["--nj", "two"], "--nj must be a non-negative integer"),
        (["--backend-tel", "yes"], "expected true or false for --backend-tel, got 'yes'"),
        (["--feat-conf", "conf/no_such.conf"], "--feat-conf: no such option file: conf/no_such.conf"),
    ],
)
def test_option_errors_fail_before_stage_0(tmp_path, args, message):
    proc = run_recipe(tmp_path, *args, timeout=120)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Stage 0" not in proc.stderr and not (tmp_path / "data").exists()


def test_augment_online_honours_chunks_and_front_end(tmp_path):
    musan, rirs = make_musan(tmp_path / "musan"), make_rirs(tmp_path / "RIRS_NOISES")
    out = tmp_path / "run"
    text = _ok(run_recipe(out, *TINY_DEMO, *FAST, "--augment", "online", "--musan-root",
                          str(musan), "--rirs-root", str(rirs), "--min-frames", "60",
                          "--max-frames", "120", "--num-repeats", "1", "--feat-type", "mfcc",
                          "--cmn-window", "0", "--extra-test-sets", "demo_test_tel",
                          "--val-tel", "true", "--backend-tel", "true"))
    model = out / "exp" / "demo"
    chain = (model / "augment.yaml").read_text()
    assert "${" not in chain and f"{out / 'data'}/musan_noise" in chain
    assert str(rirs) in chain
    assert not list((out / "exp").glob("egs_*")), "online augmentation makes no egs"
    cfg = yaml.safe_load((model / "config.yaml").read_text())
    assert cfg["data"] == "onthefly"
    dc = cfg["data_conf"]
    assert (dc["min_frames"], dc["max_frames"], dc["num_repeats"]) == (60, 120, 1)
    fe = cfg["frontend"]  # stage 1's feature config, not the trainer's default fbank
    assert fe["feature"] == "mfcc" and "--num-ceps=30" in fe["feature_args"]
    assert (fe["cmn"], fe["vad"]) == ("none", False)
    results = (model / "RESULTS.md").read_text()
    assert "- front end: mfcc " in results and "--num-ceps=30" in results
    assert {s for s, t, _ in _rows(results) if t == "demo_test/trials"} >= {"cosine", "plda"}
    # the telephone copy of the test set: same trials, scored, and its audio has lost the
    # band above 4 kHz (the top MFCC-filterbank energy is gone; C0 is overall log energy)
    tel = out / "data" / "demo_test_tel"
    assert (tel / "trials").read_text() == (out / "data" / "demo_test" / "trials").read_text()
    assert "--channel telephone-mulaw" in (tel / "wav.scp").read_text()
    assert {s for s, t, _ in _rows(results) if t == "demo_test_tel/trials"} >= {"cosine", "plda"}
    clean = dict(kaldiio.load_scp(str(out / "data" / "demo_test" / "feats.scp")))
    phone = dict(kaldiio.load_scp(str(tel / "feats.scp")))
    utt = sorted(clean)[0]
    assert clean[utt].shape == phone[utt].shape and not np.allclose(clean[utt], phone[utt])
    # --val-tel: the validation split through the same telephone, scored with every system;
    # each system is judged by the mean of the two sets' criteria
    val_tel = out / "data" / "demo_dev_val_tel"
    assert (val_tel / "trials").read_text() == (out / "data" / "demo_dev_val" / "trials").read_text()
    assert "--channel telephone-mulaw" in (val_tel / "wav.scp").read_text()
    validation = (model / "VALIDATION.md").read_text()
    eers = {(s, t): float(e) for s, t, e in _rows(validation)}
    chosen = yaml.safe_load((model / "selection.yaml").read_text())
    assert chosen["criterion"].startswith("mean(demo_dev_val/") and "demo_dev_val_tel/" in chosen["criterion"]
    crit = chosen["criterion"][len("mean("):-1].split(", ")
    for system in ("cosine", "plda", "cosine_asnorm"):
        assert chosen["candidates"][system] == pytest.approx(
            sum(eers[(system, c)] for c in crit) / 2, abs=1e-3), system
    assert "and its telephone copy demo_dev_val_tel" in results
    # the choice's speaker bootstrap runs on the same criterion: both copies
    runner = chosen["runner_up"]
    m = re.search(rf"the choice against the runner-up {runner}: .*?: difference (-?[\d.]+) ", results)
    assert m, results
    assert float(m.group(1)) == pytest.approx(
        chosen["candidates"][chosen["system"]] - chosen["candidates"][runner], abs=0.016)
    # --backend-tel: PLDA trained on the back-end set and its telephone copy (ids tel-*), and
    # on nothing else: no PLDA of the back-end set alone was trained
    pool = (out / "data" / "demo_dev_train" / "utt2spk").read_text().split("\n")
    pool = dict(line.split() for line in pool if line)
    mc = (out / "data" / "demo_dev_train_mc" / "utt2spk").read_text().split("\n")
    mc = dict(line.split() for line in mc if line)
    assert mc == {**pool, **{f"tel-{u}": s for u, s in pool.items()}}
    tel_pool = out / "data" / "demo_dev_train_tel"
    assert "--channel telephone-mulaw" in (tel_pool / "wav.scp").read_text()
    assert len((model / "xvectors_demo_dev_train_mc" / "xvector.scp").read_text().split("\n")) \
        == len(mc) + 1
    assert list((model / "xvectors_demo_dev_train_mc").glob("plda_*.npz"))
    assert not list((model / "xvectors_demo_dev_train").glob("plda_*.npz"))
    assert f"trained on demo_dev_train and its telephone copy demo_dev_train_tel (8 kHz, mu-law): {len(mc)} embeddings" in results
    assert "Done in" in text


def test_mfcc_with_vad_and_an_extra_librispeech_set(tmp_path):
    libri = make_librispeech(tmp_path / "LibriSpeech" / "test-clean")
    out = tmp_path / "run"
    # the narrowband option file (--feat-conf): 30 cepstra from mel bins over 20-3700 Hz
    _ok(run_recipe(out, *TINY_DEMO, *FAST, "--feat-type", "mfcc", "--use-vad", "true",
                   "--feat-conf", "conf/mfcc_30_nb.conf",
                   "--extra-test-sets", "librispeech_test_clean",
                   "--librispeech-root", str(libri.parent)))
    data, model = out / "data", out / "exp" / "demo"
    for name in ("demo_dev", "demo_test", "librispeech_test_clean"):
        assert (data / name / "vad.scp").is_file()
        _, feats = next(iter(kaldiio.load_scp(str(data / name / "feats.scp")).items()))
        assert feats.shape[1] == 30, name  # conf/mfcc_30_nb.conf
        assert (data / name / "conf" / "mfcc.conf").read_text() == \
            (REPO / "conf" / "mfcc_30_nb.conf").read_text()
    assert (data / "librispeech_test_clean" / "trials").is_file()
    assert (model / "xvectors_librispeech_test_clean" / "xvector.scp").is_file()
    fe = yaml.safe_load((model / "config.yaml").read_text())["frontend"]
    assert fe["feature"] == "mfcc" and fe["vad"] is True and "--num-ceps=30" in fe["feature_args"]
    assert "--high-freq=3700" in fe["feature_args"]  # the model carries its band
    results = (model / "RESULTS.md").read_text()
    lists = {t for _, t, _ in _rows(results)}
    assert {"demo_test/trials", "librispeech_test_clean/trials"} <= lists
    assert "- front end: mfcc " in results and "VAD on" in results
    assert "librispeech_test_clean/trials: " in results  # line count and checksum


def test_cnceleb_and_sitw_score_enrolments_and_plot_the_test_set(tmp_path):
    root, sitw = make_cnceleb(tmp_path / "CN-Celeb"), make_sitw(tmp_path / "sitw")
    out = tmp_path / "run"
    _ok(run_recipe(out, *FAST, "--corpus", "cnceleb", "--cnceleb-roots", str(root),
                   "--extra-test-sets", "sitw_eval", "--sitw-root", str(sitw)))
    model = out / "exp" / "demo"
    assert (model / "tsne_cnceleb_eval_test.png").read_bytes()[:4] == b"\x89PNG"
    for name in ("cnceleb_eval_enroll", "sitw_eval_enroll", "sitw_eval_test"):
        assert (model / f"xvectors_{name}" / "xvector.scp").is_file()
    results = (model / "RESULTS.md").read_text()
    for lst in ("cnceleb_eval_test/trials", "sitw_eval_test/trials"):
        assert {s for s, t, _ in _rows(results) if t == lst} == {"cosine", "cosine_cal", "cosine_sm",
                                                                     "plda", "cosine_asnorm"}
    assert "cnceleb_eval_test/trials: 48 lines" in results  # 4 enrolments x 12 tests
    assert "sitw_eval_test/trials: 27 lines" in results  # 3 models x 9 tests


def test_voxceleb_without_vox1_e_h_scores_what_exists(tmp_path):
    vox1, vox2 = tmp_path / "VoxCeleb1", tmp_path / "VoxCeleb2" / "dev"
    make_voxceleb(vox1, vox2)
    out = tmp_path / "run"
    text = _ok(run_recipe(out, *FAST, "--corpus", "voxceleb", "--voxceleb1-root", str(vox1),
                          "--voxceleb2-root", str(vox2), "--min-frames", "80"))
    assert "skipped: test set voxceleb1_all" in text
    assert not (out / "data" / "voxceleb1_all").exists()
    results = (out / "exp" / "demo" / "RESULTS.md").read_text()
    lists = {t for _, t, _ in _rows(results)}
    # trials (= veri_test2.txt) is scored once, under its own name
    assert lists == {"voxceleb1_test/trials_vox1_o_clean", "voxceleb1_test/trials_vox1_o"}
    assert "VoxCeleb1-O cleaned (veri_test2.txt): 35 lines" in results
    assert "VoxCeleb1-O original (veri_test.txt): 36 lines" in results
    for name in ("trials_vox1_e_clean", "trials_vox1_e", "trials_vox1_h_clean", "trials_vox1_h"):
        assert f"skipped: trial list voxceleb1_all/{name} (not in the corpus)" in results
