"""Tiny models, front ends, model files and audio files for the inference tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import numpy as np
import soundfile as sf
import torch

from Process_Data.features.frontend import Frontend
from TrainAndTest.config import resolve_config
from TrainAndTest.models import MODELS

#: the recipe's default front end (conf/fbank.conf, sliding CMN 300) at 40 bins
FRONTEND = Frontend(
    "fbank",
    ("--sample-frequency=16000", "--num-mel-bins=40", "--snip-edges=false"),
    cmn="sliding",
    cmn_window=300,
)

#: tiny configurations of the models the parity tests must cover
TINY = {
    "xvector_tdnn": {"embed_dim": 24, "channels": 32, "stats_channels": 48},
    "ecapa_tdnn": {"embed_dim": 24, "channels": 32},
    "resnet34": {"embed_dim": 24, "width": 4},
}


def build(name: str, feat_dim: int = 40, seed: int = 0) -> torch.nn.Module:
    """A tiny model with fixed random weights and non-trivial BatchNorm statistics."""
    torch.manual_seed(seed)
    model = MODELS.build(name, feat_dim=feat_dim, **TINY[name])
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def write_model_file(exp: Path, name: str, frontend: Frontend = FRONTEND, seed: int = 0) -> Path:
    """``exp/final.pt`` as the trainer writes it (config, feat_dim, front end, weights)."""
    exp.mkdir(parents=True, exist_ok=True)
    model = build(name, frontend.dim, seed)
    cfg = resolve_config({"model": name, "model_conf": dict(TINY[name])})
    state = {
        "model": model.state_dict(),
        "loss": {},
        "config": cfg,
        "feat_dim": frontend.dim,
        "num_classes": 2,
        "frontend": frontend.to_dict(),
        "averaged": [],
    }
    torch.save(state, exp / "final.pt")
    return exp / "final.pt"


def voice(seconds: float, rate: int = 16000, seed: int = 0, f0: float = 120.0) -> np.ndarray:
    """A buzzy harmonic 'voice' with noise, float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f = f0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t))
    phase = 2 * np.pi * np.cumsum(f) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 12)) * (0.5 + 0.5 * np.sin(2 * np.pi * t))
    x = 0.2 * x / np.abs(x).max() + rng.normal(0, 0.01, t.shape)
    return x.astype(np.float32)


def write_wav(path: Path, wave: np.ndarray, rate: int = 16000) -> Path:
    """A 16-bit PCM wav file."""
    sf.write(str(path), wave, rate, subtype="PCM_16")
    return path


def bad_inputs(d: Path) -> Dict[str, Path]:
    """The bad inputs of issue 15, as files."""
    d.mkdir(parents=True, exist_ok=True)
    v = voice(2.0, seed=3)
    out = {
        "stereo": write_wav(d / "stereo.wav", np.stack([v, 0.5 * v], axis=1)),
        "8k": write_wav(d / "8k.wav", voice(2.0, 8000, seed=4), 8000),
        "44k": write_wav(d / "44k.wav", voice(2.0, 44100, seed=5), 44100),
        "zeros": write_wav(d / "zeros.wav", np.zeros(32000, np.float32)),
        "short": write_wav(d / "short.wav", voice(0.1, seed=6)),
        "empty": d / "empty.wav",
        "not_audio": d / "notes.wav",
        "missing": d / "missing.wav",
    }
    out["empty"].write_bytes(b"")
    out["not_audio"].write_text("this is not audio\n" * 20)
    assert not os.path.exists(out["missing"])
    return out
