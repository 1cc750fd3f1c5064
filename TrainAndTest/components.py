"""The network and its training head built from a resolved config (model + loss registries).

Example:
    >>> from TrainAndTest.config import resolve_config
    >>> cfg = resolve_config({"model": "xvector_tdnn", "model_conf": {"embed_dim": 16,
    ...     "channels": 32, "stats_channels": 64}, "data": "synthetic"})
    >>> model = build_model(cfg, feat_dim=20)
    >>> build_loss(cfg, model.embed_dim, num_classes=5).num_classes
    5
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn


class ModelWithLoss(nn.Module):
    """The embedding model and its training head in one module (one DDP wrapper for both)."""

    def __init__(self, model: nn.Module, loss: nn.Module):
        super().__init__()
        self.model, self.loss = model, loss

    def forward(self, feats: torch.Tensor, labels: torch.Tensor):
        emb = self.model(feats)
        return self.loss.forward_flat(emb.float(), labels)


def build_model(cfg: Mapping[str, Any], feat_dim: int) -> nn.Module:
    """The embedding model named in ``cfg`` (``model``, ``model_conf``)."""
    from TrainAndTest.models import MODELS

    conf = dict(cfg["model_conf"])
    conf.setdefault("feat_dim", feat_dim)
    if conf["feat_dim"] != feat_dim:
        raise ValueError(
            f"model_conf.feat_dim={conf['feat_dim']} but the training data has {feat_dim}-dim features"
        )
    try:
        return MODELS.build(cfg["model"], **conf)
    except TypeError as e:
        raise ValueError(f"model '{cfg['model']}': bad model_conf {conf}: {e}") from None


def build_loss(cfg: Mapping[str, Any], embed_dim: int, num_classes: int) -> nn.Module:
    """The loss/head named in ``cfg`` (``loss``, ``loss_conf``)."""
    from TrainAndTest.losses import LOSSES

    try:
        return LOSSES.build(
            cfg["loss"], embed_dim=embed_dim, num_classes=num_classes, **cfg["loss_conf"]
        )
    except TypeError as e:
        raise ValueError(f"loss '{cfg['loss']}': bad loss_conf {cfg['loss_conf']}: {e}") from None


