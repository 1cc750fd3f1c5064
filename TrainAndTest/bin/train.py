"""Train a speaker-embedding model: ``python -m TrainAndTest.bin.train``.

Usage:
    python -m TrainAndTest.bin.train --config conf/train/ecapa_tdnn_c512.yaml \\
        --exp-dir exp/ecapa_tdnn_c512 [--dry-run] [--section.key value ...]

Run under ``torchrun --nproc-per-node N`` for N processes (see TrainAndTest.trainer for
batch-size semantics). An existing ``exp-dir`` with epoch checkpoints is resumed.
``--dry-run`` builds everything from the config and runs one forward/backward step on
synthetic features of the configured dimension, without touching the data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def dry_run(cfg: dict) -> str:
    """Build model, head, optimizer from ``cfg`` and take one step on synthetic data."""

    from TrainAndTest.data import build_train_data
    from TrainAndTest.losses import LOSSES
    from TrainAndTest.trainer import build_loss, build_model

    feat_dim = int(cfg["model_conf"].get("feat_dim", cfg["data_conf"].get("feat_dim", 80)))
    # metric losses need speaker-major batches: 2 speakers x 2 utterances
    grouped = getattr(LOSSES.get(cfg["loss"]), "batch_layout", "labels") != "labels"
    data = build_train_data(
        "synthetic",
        {
            "num_speakers": 4,
            "utts_per_speaker": 2,
            "feat_dim": feat_dim,
            "batch_size": 4,
            "min_frames": 200,
            "max_frames": 200,
            "batch_utts_per_speaker": 2 if grouped else 0,
        },
    )
    model = build_model(cfg, feat_dim)
    loss = build_loss(cfg, int(model.embed_dim), data.num_classes)
    from TrainAndTest.optim import build_optimizer

    opt = build_optimizer(
        cfg["optimizer"], list(model.parameters()) + list(loss.parameters()), cfg["optimizer_conf"]
    )
    feats, labels = next(iter(data.batches(0)))
    upm = 2 if grouped else None
    out = loss.forward_flat(model(feats), labels, utts_per_speaker=upm)
    opt.zero_grad()
    out.loss.backward()
    opt.step()
    n = sum(p.numel() for p in model.parameters())
    return f"dry run ok: {cfg['model']} ({n / 1e6:.2f}M params) + {cfg['loss']}, loss {float(out.loss.detach()):.3f}"


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, resolve the config and train (or dry-run)."""
    parser = argparse.ArgumentParser(
        prog="python -m TrainAndTest.bin.train",
        description="Train a speaker-embedding model from a YAML config.",
        epilog="Any other --section.key value pair overrides the config, e.g. "
        "--train_conf.epochs 3 --optimizer_conf.lr 0.01",
    )
    parser.add_argument("--config", required=True, help="YAML config (conf/train/*.yaml)")
    parser.add_argument("--exp-dir", help="experiment directory (required unless --dry-run)")
    parser.add_argument("--dry-run", action="store_true", help="build and take one step only")
    args, overrides = parser.parse_known_args(argv)

    from TrainAndTest.config import ConfigError, load_config

    try:
        cfg = load_config(args.config, overrides)
    except ConfigError as e:
        print(f"train: {e}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(dry_run(cfg))
        return 0
    if not args.exp_dir:
        parser.error("--exp-dir is required")
    from TrainAndTest.trainer import train

    final = train(cfg, Path(args.exp_dir))
    print(f"train: wrote {final}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
