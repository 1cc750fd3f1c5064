"""Attentive pooling as an attribution: where the pooling's weighted mean takes its mass from.

The map is ``sum_c att[c, f', t] * |h[c, f', t]|`` on the frame-feature grid (``h`` the
features the pooling reads, ``att`` its weights), resized onto the input: each position's
share of the attention-weighted mean. Channel-dependent attention (ECAPA's ``asp``) has one
weight per channel and frame; 2-D networks fold frequency rows into the channels, which
are unfolded here. Shared or multi-head attention is averaged over heads, one weight per
frame. Only models whose pooling returns attention weights (``asp``, ``sap``, ``mhasp``)
have one.
"""

from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from TrainAndTest.analysis.base import ATTRIBUTIONS, AnalysisError, Attribution, to_input_grid
from TrainAndTest.analysis.layers import frame_feature_grid

ATTENTIVE_POOLINGS = ("asp", "sap", "mhasp")


def pooling_attention(model: nn.Module, x: torch.Tensor) -> Dict[str, torch.Tensor]:
    """``attention`` ``[H, T']`` and ``frame_features`` ``[C, T']`` of one input ``x [1, T, F]``.

    Raises AnalysisError naming the model's pooling when it has no attention.
    """
    with torch.no_grad():
        out = model.forward_features(x)
    if "attention" not in out:
        pooling = type(getattr(model, "pooling", None)).__name__
        raise AnalysisError(
            f"{type(model).__name__} pools with {pooling}, which has no attention weights; "
            f"--method attention needs attentive pooling ({', '.join(ATTENTIVE_POOLINGS)})")
    return {"attention": out["attention"][0].float(), "frame_features": out["frame_features"][0]}


@ATTRIBUTIONS.register("attention")
class AttentionMap(Attribution):
    """Attention-weighted frame-feature magnitude (see the module docstring).

    Example:
        >>> from TrainAndTest.analysis.targets import demo_target
        >>> AttentionMap(demo_target("ecapa_tdnn")).attribute(torch.randn(30, 8)).shape
        torch.Size([30, 8])
    """

    def __init__(self, target):
        super().__init__(target)
        self.rows = None

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        parts = pooling_attention(self.model, x)
        att, h = parts["attention"], parts["frame_features"].abs()
        if self.rows is None:
            self.rows = frame_feature_grid(self.model, h.shape[0])
        rows = self.rows
        grid_h = h.reshape(h.shape[0] // rows, rows, h.shape[-1])
        if att.shape[0] == h.shape[0]:
            contrib = att.reshape(grid_h.shape) * grid_h
        else:  # shared or per-head weights: one per frame
            contrib = att.mean(dim=0).view(1, 1, -1) * grid_h
        return to_input_grid(contrib.sum(dim=0), x.shape[1], x.shape[2])
