"""Checkpoints of an experiment: epoch checkpoints (save, resume), their average and final.pt.

Every checkpoint and ``final.pt`` carry what later stages need to use the model without
being told how the recipe was called: the resolved ``config``, ``feat_dim``,
``num_classes`` and the ``frontend`` (a :class:`Process_Data.features.frontend.Frontend`
mapping; None for synthetic data). :func:`load_model` gives the model with its front end.

Layout: ``<exp>/checkpoints/epoch_<N>.pt`` (model, head, optimizer, schedule, scaler, EMA,
RNG states, history), ``<exp>/final.pt`` (model weights: EMA or the average of the last
checkpoints). Every file is written to a temporary name and renamed.
"""

from __future__ import annotations

import glob
import os
import random
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, NamedTuple, Optional

import numpy as np
import torch
from torch import nn

from Process_Data.features.frontend import Frontend, frontend_of
from TrainAndTest.components import build_model


def rng_state() -> Dict[str, Any]:
    """The python, numpy, torch (and CUDA) generator states, for a checkpoint."""
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore the generator states :func:`rng_state` saved."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_paths(exp_dir: Path) -> List[Path]:
    """Epoch checkpoints of an experiment, oldest first."""
    found = glob.glob(str(Path(exp_dir) / "checkpoints" / "epoch_*.pt"))
    return sorted((Path(p) for p in found), key=lambda p: int(re.findall(r"\d+", p.name)[-1]))


def save_checkpoint(run: Any, exp_dir: Path, epoch: int, history: List[Dict]) -> Path:
    """Write ``checkpoints/epoch_<epoch>.pt`` atomically and prune old ones (rank 0 only)."""
    ckdir = Path(exp_dir) / "checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)
    path = ckdir / f"epoch_{epoch}.pt"
    state = {
        "epoch": epoch,
        "model": run.net.model.state_dict(),
        "loss": run.net.loss.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict(),
        "scaler": run.scaler.state_dict(),
        "ema": run.ema.state_dict() if run.ema is not None else None,
        "rng": rng_state(),
        "history": history,
        "config": dict(run.cfg),
        "feat_dim": run.data.feat_dim,
        "num_classes": run.data.num_classes,
        "frontend": run.data.frontend.to_dict() if run.data.frontend is not None else None,
    }
    tmp = path.with_suffix(".pt.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    tc = run.cfg["train_conf"]
    keep = max(int(tc["keep_last"]), int(tc["average_last"]), 1)
    for old in checkpoint_paths(exp_dir)[:-keep]:
        old.unlink()
    return path


def load_checkpoint(run: Any, path: Path) -> Dict[str, Any]:
    """Restore model, head, optimizer, schedule, scaler, EMA and RNG states from ``path``."""
    state = torch.load(path, map_location=run.device, weights_only=False)
    run.net.model.load_state_dict(state["model"])
    run.net.loss.load_state_dict(state["loss"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    run.scaler.load_state_dict(state["scaler"])
    if run.ema is not None and state.get("ema") is not None:
        run.ema.load_state_dict(state["ema"])
    rng = state["rng"]
    rng["torch"] = rng["torch"].cpu()
    set_rng_state(rng)
    return state


def average_checkpoints(paths: List[Path]) -> Dict[str, torch.Tensor]:
    """Element-wise mean of the model weights of ``paths`` (integer buffers: the last's)."""
    states = [torch.load(p, map_location="cpu", weights_only=False)["model"] for p in paths]
    avg = {}
    for key, last in states[-1].items():
        if last.dtype.is_floating_point:
            avg[key] = sum(s[key].double() for s in states).div(len(states)).to(last.dtype)
        else:
            avg[key] = last.clone()
    return avg


def write_final(run: Any, exp_dir: Path) -> Path:
    """``final.pt``: EMA weights if enabled, else the average of the last N checkpoints."""
    tc = run.cfg["train_conf"]
    paths = checkpoint_paths(exp_dir)[-max(int(tc["average_last"]), 1) :]
    last = torch.load(paths[-1], map_location="cpu", weights_only=False)
    model_state = last["ema"] if last.get("ema") is not None else average_checkpoints(paths)
    final = {
        "model": model_state,
        "loss": last["loss"],
        "config": last["config"],
        "feat_dim": last["feat_dim"],
        "num_classes": last["num_classes"],
        "frontend": last.get("frontend"),
        "averaged": [p.name for p in paths],
    }
    path = Path(exp_dir) / "final.pt"
    tmp = path.with_suffix(".pt.tmp")
    torch.save(final, tmp)
    os.replace(tmp, path)
    return path


class TrainedModel(NamedTuple):
    """A trained embedding model with what explains it (see :func:`load_model`)."""

    model: nn.Module
    frontend: Optional[Frontend]
    config: Dict[str, Any]
    feat_dim: int


def model_file(path) -> Path:
    """``final.pt`` of an exp dir, or the model file itself; FileNotFoundError naming it."""
    path = Path(path)
    if path.is_dir():
        path = path / "final.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no model at {path}")
    return path


def load_model(path, device: str = "cpu") -> TrainedModel:
    """The embedding model of ``final.pt`` (an exp dir, or a checkpoint) in eval mode, with
    its front end (None for a model trained on synthetic data or by an older version)."""
    state = torch.load(model_file(path), map_location="cpu", weights_only=False)
    model = build_model(state["config"], state["feat_dim"])
    model.load_state_dict(state["model"])
    return TrainedModel(model.to(device).eval(), frontend_of(state.get("frontend")),
                        dict(state["config"]), int(state["feat_dim"]))


def load_final_model(path: Path, device: str = "cpu") -> nn.Module:
    """The embedding model stored in ``final.pt`` (or an epoch checkpoint), in eval mode."""
    return load_model(path, device).model


