"""Densely connected TDNN (D-TDNN; Yu and Li, 2020, "Densely connected time delay neural
network for speaker verification").

A TDNN input layer, then dense blocks in which every layer (1x1 bottleneck, then a TDNN
context layer) sees the concatenation of all earlier outputs of the block; transition layers
halve the width between blocks. Statistics pooling and an embedding layer follow.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from TrainAndTest.models.base import (
    MODELS,
    SpeakerModel,
    as_tuple,
    build_pooling,
    pool_outputs,
)
from TrainAndTest.models.layers import TdnnLayer, frames_to_channels_first


class DenseTdnnLayer(nn.Module):
    """One dense layer: 1x1 bottleneck then a context layer; output appended to the input.

    Args:
        in_dim: channels of the concatenated input.
        growth: channels added.
        bottleneck: bottleneck width.
        kernel_size: context width.
        dilation: context step.

    Example:
        >>> DenseTdnnLayer(8, 4, 6, 3, 2)(torch.randn(2, 8, 10)).shape
        torch.Size([2, 12, 10])
    """

    def __init__(self, in_dim: int, growth: int, bottleneck: int, kernel_size: int, dilation: int):
        super().__init__()
        self.net = nn.Sequential(
            TdnnLayer(in_dim, bottleneck),
            TdnnLayer(bottleneck, growth, kernel_size, dilation, padding=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, T] -> [B, C + growth, T]."""
        return torch.cat([x, self.net(x)], dim=1)


@MODELS.register("dtdnn")
class Dtdnn(SpeakerModel):
    """D-TDNN embedding extractor.

    Args:
        feat_dim: input features.
        embed_dim: embedding size.
        init_channels: width of the input TDNN layer.
        growth: channels each dense layer adds.
        bottleneck: dense-layer bottleneck width.
        block_layers: number of dense layers per block.
        block_dilations: context dilation per block (kernel 3).
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> m = Dtdnn(feat_dim=20, embed_dim=8, init_channels=8, growth=4, bottleneck=8,
        ...           block_layers=(2, 2))
        >>> m(torch.randn(2, 30, 20)).shape
        torch.Size([2, 8])
    """

    min_frames = 5

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 512,
        init_channels: int = 128,
        growth: int = 64,
        bottleneck: int = 128,
        block_layers: Sequence[int] = (6, 12),
        block_dilations: Sequence[int] = (1, 3),
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        dilations = as_tuple(block_dilations, len(block_layers), "dtdnn block_dilations")
        layers = [TdnnLayer(feat_dim, init_channels, kernel_size=5, padding=True)]
        channels = init_channels
        for n_layers, dilation in zip(block_layers, dilations):
            for _ in range(n_layers):
                layers.append(DenseTdnnLayer(channels, growth, bottleneck, 3, dilation))
                channels += growth
            layers.append(TdnnLayer(channels, channels // 2))  # transition
            channels //= 2
        self.frame_layers = nn.Sequential(*layers)
        self.pooling = build_pooling(pooling, channels, pooling_conf)
        self.embedding = nn.Sequential(
            nn.Linear(self.pooling.out_dim, embed_dim), nn.BatchNorm1d(embed_dim)
        )

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        frames = self.frame_layers(frames_to_channels_first(x))
        out["frame_features"] = frames
        out["embedding"] = self.embedding(pool_outputs(self.pooling, frames, out))
        return out
