"""Fixtures of the analysis tests: the band model, and a trained tiny x-vector (synthetic
speakers) with a features data dir to analyse."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.torch_threads import single_thread  # noqa: F401  (autouse fixture)
from tests.TrainAndTest.analysis.analysis_fixtures import BandModel, write_feats_dir


@pytest.fixture
def band_model():
    torch.manual_seed(0)
    return BandModel().eval()


@pytest.fixture(scope="session")
def trained_exp(tmp_path_factory) -> Path:
    """A tiny x-vector TDNN (AAM-softmax head) trained 2 epochs on synthetic speakers."""
    from TrainAndTest.config import resolve_config
    from TrainAndTest.trainer import train

    torch.set_num_threads(1)
    exp = tmp_path_factory.mktemp("analysis") / "exp"
    cfg = resolve_config({
        "model": "xvector_tdnn",
        "model_conf": {"embed_dim": 16, "channels": 32, "stats_channels": 48},
        "loss": "aam_softmax", "loss_conf": {"margin": 0.1, "scale": 16},
        "optimizer": "adam", "optimizer_conf": {"lr": 0.003},
        "data": "synthetic",
        "data_conf": {"num_speakers": 8, "utts_per_speaker": 8, "feat_dim": 20,
                      "batch_size": 16, "min_frames": 40, "max_frames": 60, "num_valid": 16},
        "train_conf": {"epochs": 2, "seed": 3, "log_interval": 4, "keep_last": 1,
                       "average_last": 1},
    })
    train(cfg, exp)
    return exp


@pytest.fixture(scope="session")
def feats_dir(tmp_path_factory) -> Path:
    """4 speakers x 3 utterances of 20-dim features."""
    path = tmp_path_factory.mktemp("analysis_data") / "data"
    write_feats_dir(path)
    return path
