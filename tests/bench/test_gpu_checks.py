"""bench/gpu_checks.sh, issue 18's one-call GPU check, run end to end on the CPU (gloo)."""

import os
import subprocess
import sys

from tests.conftest import REPO

TINY_TRAIN = ["--model_conf.channels", "32", "--model_conf.embed_dim", "16", "--data_conf.num_speakers", "8",
              "--data_conf.utts_per_speaker", "8", "--data_conf.batch_size", "8", "--data_conf.min_frames",
              "40", "--data_conf.max_frames", "40", "--data_conf.num_valid", "8"]  # fmt: skip
TINY_STEP = "--models ecapa_tdnn:channels=32;embed_dim=16 --batch 4 --frames 40 --steps 1 --warmup 0 --modes fp32 --threads 1"


def _run(args, **kw):
    env = dict(os.environ, PYTHON=sys.executable)
    return subprocess.run([str(REPO / "bench" / "gpu_checks.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=300, **kw)  # fmt: skip


def test_both_checks_on_two_cpu_processes(tmp_path):
    out = tmp_path / "out"
    r = _run(["--device", "cpu", "--nproc", "2", "--step-args", TINY_STEP, str(out), *TINY_TRAIN])
    assert r.returncode == 0, r.stderr[-2000:]
    table = (out / "train_step.md").read_text()
    assert "| ecapa_tdnn:channels=32;embed_dim=16 | fp32 |" in table
    summary = (out / "ddp_epoch.txt").read_text()
    assert "2 process(es), global batch 8: 64 egs in" in summary  # 8 speakers x 8 chunks, one epoch
    assert (out / "ddp" / "final.pt").is_file()
    assert (out / "ddp" / "log" / "train.rank1.log").is_file()  # the second rank ran


def test_bad_nproc_is_named(tmp_path):
    r = _run(["--nproc", "two", str(tmp_path / "out")])
    assert r.returncode == 1 and "--nproc must be a positive integer, got 'two'" in r.stderr
    assert not (tmp_path / "out").exists()
