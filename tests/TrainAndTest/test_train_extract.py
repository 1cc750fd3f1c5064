"""Egs -> trainer -> extraction -> speaker means, on a small feats.scp data dir."""

import subprocess
import sys

import kaldiio
import numpy as np
import pytest
import torch

from Process_Data.egs import EgsOptions, make_egs
from tests.TrainAndTest.feats_fixtures import clustered_feats_dir
from TrainAndTest.config import resolve_config
from TrainAndTest.embeddings import chunk_bounds, embed_utterance, speaker_means
from TrainAndTest.trainer import load_final_model, train


def make_feats_dir(path, n_spk=6, n_utt=6, dim=20, seed=0):
    """Speakers as clusters: a per-speaker mean frame plus noise."""
    return clustered_feats_dir(path, n_spk, n_utt, dim, seed, frames=(120, 200), num_frames=True)


def test_chunk_bounds_kaldi_semantics():
    assert chunk_bounds(90, 100, 25) == [(0, 90)]
    assert chunk_bounds(210, 100, 25) == [(0, 100), (100, 210)]
    assert chunk_bounds(300, -1, 25) == [(0, 300)]


def test_speaker_means_and_counts():
    means, counts = speaker_means(
        {"a-1": np.array([1.0, 3.0]), "a-2": np.array([3.0, 5.0]), "b-1": np.array([0.0, 0.0])},
        {"a": ["a-1", "a-2", "a-missing"], "b": ["b-1"], "c": ["c-1"]},
    )
    np.testing.assert_allclose(means["a"], [2.0, 4.0])
    assert counts == {"a": 2, "b": 1}


def test_egs_training_then_extraction(tmp_path, recipe_env):
    data = tmp_path / "data"
    mats = make_feats_dir(data)
    egs = tmp_path / "egs"
    make_egs(
        data,
        egs,
        EgsOptions(
            min_len=50,
            min_frames=50,
            max_frames=80,
            num_repeats=4,
            num_valid_utts=6,
            num_diagnostic_egs=10,
            use_vad=False,
            egs_per_archive=40,
        ),
    )
    cfg = resolve_config(
        {
            "model": "xvector_tdnn",
            "model_conf": {"embed_dim": 16, "channels": 32, "stats_channels": 48},
            "loss": "softmax",
            "optimizer": "adam",
            "optimizer_conf": {"lr": 0.003},
            "data": "egs",
            "data_conf": {"egs_dir": str(egs), "batch_size": 8, "num_workers": 0},
            "train_conf": {"epochs": 2, "log_interval": 5},
        }
    )
    final = train(cfg, tmp_path / "exp")
    hist = torch.load(tmp_path / "exp" / "checkpoints" / "epoch_2.pt", weights_only=False)[
        "history"
    ]
    assert hist[-1]["valid"]["accuracy"] > 1 / 6  # above chance on held-out utterances
    out = tmp_path / "xvectors"
    out.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "TrainAndTest.bin.extract_embeddings",
            "--model",
            str(tmp_path / "exp"),
            "--feats-scp",
            str(data / "feats.scp"),
            "--chunk-size",
            "100",
            f"ark,scp:{out}/xvector.ark,{out}/xvector.scp",
        ],
        env=recipe_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    vecs = dict(kaldiio.load_scp(str(out / "xvector.scp")))
    assert sorted(vecs) == sorted(mats) and vecs["spk0-utt0"].shape == (16,)
    model = load_final_model(final)
    direct = embed_utterance(model, mats["spk0-utt0"], chunk_size=100, min_chunk_size=25)
    np.testing.assert_allclose(vecs["spk0-utt0"], direct, rtol=1e-4, atol=1e-5)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "TrainAndTest.bin.speaker_mean",
            str(data / "spk2utt"),
            str(out / "xvector.scp"),
            str(out),
        ],
        env=recipe_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    spk = dict(kaldiio.load_scp(str(out / "spk_xvector.scp")))
    np.testing.assert_allclose(
        spk["spk1"], np.mean([vecs[f"spk1-utt{u}"] for u in range(6)], axis=0), rtol=1e-5
    )
    assert (out / "num_utts.ark").read_text().splitlines()[0] == "spk0 6"


def test_extraction_of_missing_model_fails_clearly(tmp_path, recipe_env):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "TrainAndTest.bin.extract_embeddings",
            "--model",
            str(tmp_path),
            "--feats-scp",
            "x.scp",
            "ark,scp:a.ark,a.scp",
        ],
        env=recipe_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "no model at" in proc.stderr


@pytest.mark.parametrize("frames", [3, 500])
def test_embed_short_and_long(frames):
    from TrainAndTest.models import MODELS

    model = MODELS.build(
        "xvector_tdnn", feat_dim=20, embed_dim=8, channels=16, stats_channels=16
    ).eval()
    assert embed_utterance(model, np.zeros((frames, 20), np.float32), 200).shape == (8,)


def test_periodic_eer_on_a_small_trial_list(tmp_path):
    data = tmp_path / "data"
    mats = make_feats_dir(data, n_spk=4, n_utt=4)
    utts = sorted(mats)
    lines = [
        f"{a} {b} {'target' if a.split('-')[0] == b.split('-')[0] else 'nontarget'}"
        for i, a in enumerate(utts)
        for b in utts[i + 1 :]
    ]
    (tmp_path / "trials").write_text("\n".join(lines) + "\n")
    cfg = resolve_config(
        {
            "model": "xvector_tdnn",
            "model_conf": {"embed_dim": 16, "channels": 32, "stats_channels": 48},
            "loss": "softmax",
            "data": "synthetic",
            "data_conf": {
                "num_speakers": 8,
                "utts_per_speaker": 8,
                "feat_dim": 20,
                "batch_size": 16,
            },
            "train_conf": {
                "epochs": 2,
                "eer_every": 1,
                "eer_trials": str(tmp_path / "trials"),
                "eer_data_dir": str(data),
            },
        }
    )
    train(cfg, tmp_path / "exp")
    hist = torch.load(tmp_path / "exp" / "checkpoints" / "epoch_2.pt", weights_only=False)[
        "history"
    ]
    assert [("eer" in h) for h in hist] == [True, True]
    assert all(0.0 <= h["eer"] <= 100.0 for h in hist)


def _extract(recipe_env, model, feats_scp, out, *opts):
    return subprocess.run(
        [sys.executable, "-m", "TrainAndTest.bin.extract_embeddings", "--model", str(model),
         "--feats-scp", str(feats_scp), *opts, f"ark,scp:{out}.ark,{out}.scp"],
        env=recipe_env, capture_output=True, text=True)


def test_front_end_travels_from_egs_into_the_model_and_extraction(tmp_path, recipe_env):
    import yaml

    from Process_Data.features.cmvn import SlidingCmvnOptions, sliding_cmvn

    data = tmp_path / "data"
    mats = make_feats_dir(data, n_spk=4, n_utt=4)
    (data / "conf").mkdir()
    (data / "conf" / "fbank.conf").write_text("# as steps/make_fbank.sh copies it\n--num-mel-bins=20\n")
    egs = tmp_path / "egs"
    make_egs(data, egs, EgsOptions(min_len=50, min_frames=50, max_frames=80, num_valid_utts=2,
                                   num_diagnostic_egs=4, use_vad=False, cmn_window=50))
    cfg = resolve_config({
        "model": "xvector_tdnn", "model_conf": {"embed_dim": 8, "channels": 16, "stats_channels": 16},
        "loss": "softmax", "data": "egs",
        "data_conf": {"egs_dir": str(egs), "batch_size": 8, "num_workers": 0},
        "train_conf": {"epochs": 1}})
    final = train(cfg, tmp_path / "exp")
    want = {"feature": "fbank", "sample_rate": 16000, "dim": 20, "vad": False, "cmn": "sliding",
            "cmn_window": 50}
    state = torch.load(final, weights_only=False)
    ckpt = torch.load(tmp_path / "exp" / "checkpoints" / "epoch_1.pt", weights_only=False)
    saved = yaml.safe_load((tmp_path / "exp" / "config.yaml").read_text())["frontend"]
    for fe in (state["frontend"], ckpt["frontend"], saved):
        assert {k: fe[k] for k in want} == want and "--num-mel-bins=20" in fe["feature_args"]

    # no front-end option: the model's sliding CMN (window 50) is applied
    out = tmp_path / "x"
    proc = _extract(recipe_env, tmp_path / "exp", data / "feats.scp", out, "--data-dir", str(data))
    assert proc.returncode == 0, proc.stderr
    vecs = dict(kaldiio.load_scp(f"{out}.scp"))
    model = load_final_model(final)
    cmn = sliding_cmvn(mats["spk1-utt2"], SlidingCmvnOptions(50, 50, center=True))
    np.testing.assert_allclose(vecs["spk1-utt2"], embed_utterance(model, cmn), atol=1e-5)
    raw = embed_utterance(model, mats["spk1-utt2"])
    assert np.abs(vecs["spk1-utt2"] - raw).max() > 1e-3  # CMN really changed the input
    # an agreeing check passes and gives the same embeddings
    proc = _extract(recipe_env, final, data / "feats.scp", tmp_path / "y", "--cmn-window", "50",
                    "--use-vad", "false")
    assert proc.returncode == 0, proc.stderr
    again = dict(kaldiio.load_scp(f"{tmp_path}/y.scp"))
    assert all(np.array_equal(again[u], vecs[u]) for u in vecs)
    # contradictions are refused with both values named
    proc = _extract(recipe_env, final, data / "feats.scp", tmp_path / "z", "--cmn-window", "300")
    assert proc.returncode == 1 and "--cmn-window 300" in proc.stderr and "window 50" in proc.stderr
    proc = _extract(recipe_env, final, data / "feats.scp", tmp_path / "z", "--use-vad", "true")
    assert proc.returncode == 1 and "vad false" in proc.stderr
    (data / "conf" / "fbank.conf").rename(data / "conf" / "mfcc.conf")
    proc = _extract(recipe_env, final, data / "feats.scp", tmp_path / "z", "--data-dir", str(data))
    assert proc.returncode == 1
    assert "feature is 'mfcc' there but 'fbank' in the model" in proc.stderr, proc.stderr
    # features of another dimension: a clear message, not a shape error
    other = tmp_path / "other"
    make_feats_dir(other, n_spk=1, n_utt=1, dim=30)
    proc = _extract(recipe_env, final, other / "feats.scp", tmp_path / "z")
    assert proc.returncode == 1
    assert "30-dim features but the model was trained on 20-dim fbank" in proc.stderr
