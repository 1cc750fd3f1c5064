"""Trainer on synthetic data with a tiny TDNN: learning, resume after a kill, DDP, AMP."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from TrainAndTest.config import resolve_config
from TrainAndTest.trainer import checkpoint_paths, load_final_model, train

TINY = {
    "model": "xvector_tdnn",
    "model_conf": {"embed_dim": 16, "channels": 32, "stats_channels": 48},
    "loss": "aam_softmax",
    "loss_conf": {"margin": 0.1, "scale": 16},
    "optimizer": "adam",
    "optimizer_conf": {"lr": 0.003},
    "scheduler": "warmup_exponential",
    "scheduler_conf": {"warmup_epochs": 0.5, "final_lr": 0.001},
    "data": "synthetic",
    "data_conf": {
        "num_speakers": 16,
        "utts_per_speaker": 16,
        "feat_dim": 20,
        "batch_size": 32,
        "min_frames": 40,
        "max_frames": 60,
        "num_valid": 64,
    },
    "train_conf": {"epochs": 3, "seed": 3, "log_interval": 4, "keep_last": 2, "average_last": 2},
}


def run_train_cli(cfg: dict, exp: Path, env: dict, nproc: int = 1, wait=True):
    cfg_path = exp.parent / f"{exp.name}.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    if nproc == 1:
        cmd = [sys.executable, "-m", "TrainAndTest.bin.train"]
    else:
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={nproc}",
            "-m",
            "TrainAndTest.bin.train",
        ]
    cmd += ["--config", str(cfg_path), "--exp-dir", str(exp)]
    env = dict(env, OMP_NUM_THREADS="1")
    if not wait:
        return subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def history(exp: Path):
    return torch.load(checkpoint_paths(exp)[-1], weights_only=False)["history"]


def test_learns_and_writes_a_self_explaining_exp_dir(tmp_path):
    cfg = resolve_config(TINY)
    final = train(cfg, tmp_path / "exp")
    hist = history(tmp_path / "exp")
    assert len(hist) == 3
    assert [h["train"]["steps"] for h in hist] == [8] * 3  # 16 speakers x 16 chunks / batch 32
    assert hist[-1]["train"]["loss"] < hist[0]["train"]["loss"]
    assert hist[-1]["valid"]["accuracy"] > 3 / 16  # chance is 1/16
    exp = tmp_path / "exp"
    assert [p.name for p in checkpoint_paths(exp)] == ["epoch_2.pt", "epoch_3.pt"]
    assert yaml.safe_load((exp / "config.yaml").read_text())["model"] == "xvector_tdnn"
    assert "git_sha" in yaml.safe_load((exp / "environment.yaml").read_text())
    assert "epoch 3 done" in (exp / "log" / "train.rank0.log").read_text()
    assert list((exp / "tensorboard").iterdir())
    model = load_final_model(final)
    assert model(torch.randn(2, 50, 20)).shape == (2, 16)
    # final.pt is the average of epochs 2 and 3
    s2, s3 = (torch.load(p, weights_only=False)["model"] for p in checkpoint_paths(exp))
    key = next(k for k, v in s3.items() if v.dtype.is_floating_point)
    avg = torch.load(final, weights_only=False)["model"][key]
    torch.testing.assert_close(avg, (s2[key] + s3[key]) / 2)


def test_kill_during_epoch_2_then_resume_gives_same_weights(tmp_path, recipe_env):
    cfg = dict(TINY, train_conf=dict(TINY["train_conf"], log_interval=1))
    # long enough epochs that the kill lands inside epoch 2
    cfg["data_conf"] = dict(TINY["data_conf"], utts_per_speaker=48)
    run_train_cli(cfg, tmp_path / "straight", recipe_env)

    exp = tmp_path / "killed"
    proc = run_train_cli(cfg, exp, recipe_env, wait=False)
    deadline = time.time() + 300
    while not (exp / "checkpoints" / "epoch_1.pt").exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.time() < deadline
        time.sleep(0.05)
    log = exp / "log" / "train.rank0.log"
    while "epoch 2 step 3/" not in log.read_text():
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (exp / "checkpoints" / "epoch_2.pt").exists()
    assert not (exp / "final.pt").exists()
    run_train_cli(cfg, exp, recipe_env)
    assert "resumed from" in log.read_text()
    a = torch.load(tmp_path / "straight" / "final.pt", weights_only=False)["model"]
    b = torch.load(exp / "final.pt", weights_only=False)["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)


def test_two_process_gloo_ddp_matches_one_process(tmp_path, recipe_env):
    # An LSTM has no BatchNorm, so two ranks with half the batch each and averaged gradients
    # optimise exactly what one process with the whole batch does.
    cfg = dict(
        TINY,
        model="lstm",
        model_conf={"embed_dim": 16, "hidden": 32, "proj": 0, "layers": 1},
        train_conf=dict(TINY["train_conf"], epochs=2),
    )
    run_train_cli(cfg, tmp_path / "one", recipe_env)
    run_train_cli(cfg, tmp_path / "two", recipe_env, nproc=2)
    h1, h2 = history(tmp_path / "one"), history(tmp_path / "two")
    assert h1[-1]["train"]["loss"] < h1[0]["train"]["loss"]  # it did learn
    for e1, e2 in zip(h1, h2):
        assert e2["train"]["loss"] == pytest.approx(e1["train"]["loss"], rel=1e-3)
        assert e2["valid"]["loss"] == pytest.approx(e1["valid"]["loss"], rel=1e-3)
    assert (tmp_path / "two" / "log" / "train.rank1.log").exists()


def test_bf16_autocast_runs_on_cpu(tmp_path):
    cfg = resolve_config(
        TINY,
        [
            "--train_conf.precision",
            "bf16",
            "--train_conf.epochs",
            "1",
            "--train_conf.ema_decay",
            "0.9",
        ],
    )
    final = train(cfg, tmp_path / "exp")
    hist = history(tmp_path / "exp")
    assert torch.isfinite(torch.tensor(hist[0]["train"]["loss"]))
    assert torch.load(final, weights_only=False)["model"]


@pytest.mark.skipif(
    not any(shutil.which(c) for c in ("cc", "gcc", "clang")),
    reason="torch.compile needs a C compiler",
)
def test_compile_in_place_keeps_checkpoint_keys(tmp_path):
    # compile wraps only the embedding network, in place: checkpoints load into a plain model,
    # and the loss (with its scheduled margin) stays eager
    cfg = resolve_config(
        TINY,
        ["--train_conf.compile", "true", "--train_conf.epochs", "1",
         "--margin_scheduler", "{start: 0, end: 1, initial_margin: 0.0}"],
    )  # fmt: skip
    final = train(cfg, tmp_path / "exp")
    state = torch.load(final, weights_only=False)["model"]
    assert state and not any("_orig_mod" in k for k in state)
    model = load_final_model(final)
    assert model(torch.randn(2, 50, 20)).shape == (2, 16)
    assert history(tmp_path / "exp")[0]["train"]["loss"] < 10
