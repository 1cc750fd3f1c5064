"""Aggregated-residual extended TDNN (ARET; Tu et al., 2020, "Aggregated residual
extended time-delay neural networks for speaker verification").

The E-TDNN with its context/dense layer pairs replaced by ResNeXt-style residual blocks:
1x1 reduction, a grouped TDNN context layer (``cardinality`` parallel paths), 1x1 expansion,
and an identity shortcut. Statistics pooling and an embedding layer follow.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from TrainAndTest.models.base import MODELS, FramePoolModel
from TrainAndTest.models.layers import TdnnLayer


class AggregatedResidualBlock(nn.Module):
    """ResNeXt-style TDNN block with an identity shortcut.

    Args:
        channels: input/output width.
        width: width of the grouped layer (divisible by ``cardinality``).
        cardinality: number of groups.
        kernel_size: context width of the grouped layer.
        dilation: context step.

    Example:
        >>> AggregatedResidualBlock(8, 8, 4, 3, 2)(torch.randn(2, 8, 10)).shape
        torch.Size([2, 8, 10])
    """

    def __init__(
        self, channels: int, width: int, cardinality: int, kernel_size: int, dilation: int
    ):
        super().__init__()
        if width % cardinality:
            raise ValueError(f"aretdnn: width {width} not divisible by cardinality {cardinality}")
        self.net = nn.Sequential(
            TdnnLayer(channels, width),
            TdnnLayer(width, width, kernel_size, dilation, groups=cardinality, padding=True),
            nn.Conv1d(width, channels, kernel_size=1),
            nn.BatchNorm1d(channels),
        )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, T] -> [B, C, T]."""
        return self.relu(x + self.net(x))


@MODELS.register("aretdnn")
class Aretdnn(FramePoolModel):
    """ARET embedding extractor.

    Args:
        feat_dim: input features.
        embed_dim: embedding size.
        channels: trunk width.
        width: grouped-layer width of each block.
        cardinality: groups per block.
        block_dilations: one block per entry (kernel 3, this dilation).
        stats_channels: width of the pooled layer.
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> m = Aretdnn(feat_dim=20, embed_dim=8, channels=16, width=8, cardinality=4,
        ...             block_dilations=(2, 3), stats_channels=24)
        >>> m(torch.randn(2, 30, 20)).shape
        torch.Size([2, 8])
    """

    min_frames = 5

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 512,
        channels: int = 512,
        width: int = 256,
        cardinality: int = 32,
        block_dilations: Sequence[int] = (2, 2, 3, 3, 4, 4),
        stats_channels: int = 1500,
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        layers = [TdnnLayer(feat_dim, channels, kernel_size=5, padding=True)]
        layers += [
            AggregatedResidualBlock(channels, width, cardinality, 3, int(d))
            for d in block_dilations
        ]
        layers.append(TdnnLayer(channels, stats_channels))
        self.set_head(nn.Sequential(*layers), stats_channels, pooling, pooling_conf)
