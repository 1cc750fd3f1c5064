"""local/run_gfa.sh end to end on a tiny corpus of features (CPU, a minute)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import yaml

from Process_Data.egs import EgsOptions, make_egs
from tests.TrainAndTest.analysis.analysis_fixtures import write_feats_dir

TINY = {
    "model": "xvector_tdnn",
    "model_conf": {"embed_dim": 16, "channels": 32, "stats_channels": 48},
    "loss": "aam_softmax", "loss_conf": {"margin": 0.1, "scale": 16},
    "optimizer": "adam", "optimizer_conf": {"lr": 0.003},
    "data": "egs", "data_conf": {"batch_size": 8, "num_workers": 0},
    "train_conf": {"epochs": 1, "log_interval": 5, "keep_last": 1, "average_last": 1},
}


def fbank_dir(path, seed, n_spk):
    """Random 20-dim features presented as 20-bin fbank (conf/fbank.conf), speakers as
    clusters, with two trial lists."""
    write_feats_dir(path, n_spk=n_spk, n_utt=4, dim=20, seed=seed)
    (path / "conf").mkdir()
    (path / "conf" / "fbank.conf").write_text("--num-mel-bins=20\n--low-freq=20\n")
    utts = sorted(line.split()[0] for line in (path / "utt2spk").read_text().splitlines())
    for name, part in (("trials_a", utts[: len(utts) // 2]), ("trials_b", utts[len(utts) // 2:])):
        lines = [f"{a} {b} {'target' if a.split('-')[0] == b.split('-')[0] else 'nontarget'}"
                 for i, a in enumerate(part) for b in part[i + 1:]]
        (path / name).write_text("\n".join(lines) + "\n")


@pytest.mark.slow
def test_run_gfa_end_to_end(tmp_path, repo, recipe_env):
    train, test = tmp_path / "train", tmp_path / "test"
    fbank_dir(train, 0, 6)
    fbank_dir(test, 1, 4)
    egs = tmp_path / "egs"
    make_egs(train, egs, EgsOptions(min_len=40, min_frames=40, max_frames=50, num_repeats=3,
                                    num_valid_utts=4, num_diagnostic_egs=8, use_vad=False,
                                    cmn_window=0, egs_per_archive=40))
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    out = tmp_path / "gfa"
    proc = subprocess.run(
        ["bash", "local/run_gfa.sh", "--nj", "1", "--gfa-per-speaker", "2", str(config),
         str(egs), str(train), str(test), str(out)],
        cwd=repo, env=dict(recipe_env, OMP_NUM_THREADS="1"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    w = np.load(out / "weights" / "freq_weights.npy")
    mel = np.load(out / "weights" / "mel_weights.npy")
    assert w.shape == mel.shape == (20,) and np.all(np.diff(mel) < 0)
    assert (out / "weights" / "freq_weights.png").is_file()
    cfg = yaml.safe_load((out / "gfa" / "config.yaml").read_text())
    np.testing.assert_allclose(cfg["model_conf"]["freq_weights"], w, rtol=1e-5)
    assert yaml.safe_load((out / "base" / "config.yaml").read_text())["model_conf"].get(
        "freq_weights") is None
    table = (out / "RESULTS.md").read_text()
    for system in ("base", "gfa", "mel"):
        for name in ("test/trials_a", "test/trials_b", "test/mean(trials_*)"):
            assert any(f"| {system} | {name} |" in ln for ln in table.splitlines()), (
                system, name, table)
