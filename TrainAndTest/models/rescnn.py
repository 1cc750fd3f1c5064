"""ResCNN with CBAM attention (Deep Speaker's ResCNN, Li et al., 2017, with the
convolutional block attention module of Woo et al., 2018).

Stages of a strided 5x5 convolution followed by residual blocks; every residual block
rescales its output with CBAM (channel attention from average- and max-pooled descriptors,
then spatial attention from a 7x7 convolution over channel-pooled maps). Channels and
frequency are flattened into frame features for pooling.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from TrainAndTest.models.base import MODELS, SpeakerModel, build_pooling, pool_outputs
from TrainAndTest.models.layers import frames_to_image


class Cbam(nn.Module):
    """Convolutional block attention module: channel then spatial attention.

    Args:
        channels: C.
        reduction: channel-MLP reduction (hidden ``max(C // reduction, 1)``).
        spatial_kernel: kernel of the spatial attention convolution.

    Example:
        >>> Cbam(8, 4)(torch.randn(2, 8, 6, 10)).shape
        torch.Size([2, 8, 6, 10])
    """

    def __init__(self, channels: int, reduction: int = 8, spatial_kernel: int = 7):
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, channels, 1)
        )
        self.spatial = nn.Conv2d(2, 1, spatial_kernel, padding=spatial_kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, F, T] -> same shape, rescaled."""
        avg = x.mean(dim=(2, 3), keepdim=True)
        peak = x.amax(dim=(2, 3), keepdim=True)
        x = x * torch.sigmoid(self.mlp(avg) + self.mlp(peak))
        maps = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(maps))


class CbamResidualBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, CBAM, identity shortcut.

    Example:
        >>> CbamResidualBlock(8)(torch.randn(2, 8, 6, 10)).shape
        torch.Size([2, 8, 6, 10])
    """

    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            Cbam(channels, reduction),
        )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, F, T] -> [B, C, F, T]."""
        return self.relu(x + self.body(x))


@MODELS.register("rescnn")
class ResCnn(SpeakerModel):
    """ResCNN + CBAM embedding extractor.

    Args:
        feat_dim: input features.
        embed_dim: embedding size.
        widths: channels per stage; each stage halves frequency and time.
        blocks_per_stage: residual CBAM blocks after each strided convolution.
        reduction: CBAM channel reduction.
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> m = ResCnn(feat_dim=16, embed_dim=8, widths=(4, 8), blocks_per_stage=1)
        >>> m(torch.randn(2, 40, 16)).shape
        torch.Size([2, 8])
    """

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 256,
        widths: Sequence[int] = (16, 32, 64),
        blocks_per_stage: int = 3,
        reduction: int = 8,
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        layers = []
        in_dim = 1
        freq = feat_dim
        for width in widths:
            layers += [
                nn.Conv2d(in_dim, width, 5, stride=2, padding=2, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(),
            ]
            layers += [CbamResidualBlock(width, reduction) for _ in range(blocks_per_stage)]
            in_dim = width
            freq = (freq - 1) // 2 + 1
        self.stages = nn.Sequential(*layers)
        self.pooling = build_pooling(pooling, in_dim * freq, pooling_conf)
        self.embedding = nn.Linear(self.pooling.out_dim, embed_dim)

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        fmap = self.stages(frames_to_image(x))
        out["feature_map"] = fmap
        frames = fmap.flatten(1, 2)
        out["frame_features"] = frames
        out["embedding"] = self.embedding(pool_outputs(self.pooling, frames, out))
        return out
