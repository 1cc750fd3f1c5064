"""Every shipped training config resolves and survives a dry run (build + one step)."""

import subprocess
import sys
from pathlib import Path

import pytest

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "conf" / "train").glob("*.yaml"))
LIGHT = [c for c in CONFIGS if c.stem in ("tdnn", "demo")]


def test_there_is_a_config_per_model_family():
    names = {c.stem for c in CONFIGS}
    assert {
        "tdnn",
        "etdnn",
        "ftdnn",
        "ecapa_tdnn_c512",
        "ecapa_tdnn_c1024",
        "resnet34",
        "rescnn",
        "lstm",
        "tdy_resnet34",
        "ecapa_tdnn_c512_lm",
    } <= names


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_config_dry_run(config):
    from TrainAndTest.bin.train import dry_run
    from TrainAndTest.config import load_config

    cfg = load_config(str(config), ["--model_conf.feat_dim", "40"])
    assert dry_run(cfg).startswith(f"dry run ok: {cfg['model']}")


@pytest.mark.parametrize("config", LIGHT, ids=lambda p: p.stem)
def test_dry_run_cli(config, recipe_env):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "TrainAndTest.bin.train",
            "--config",
            str(config),
            "--dry-run",
            "--model_conf.feat_dim",
            "40",
        ],
        env=recipe_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dry run ok" in proc.stdout


def test_misspelt_key_fails_with_its_name(tmp_path, recipe_env):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIGS[0].read_text() + "trian_conf: {epochs: 1}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "TrainAndTest.bin.train", "--config", str(bad), "--dry-run"],
        env=recipe_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "unknown config key 'trian_conf'" in proc.stderr
