"""TDY-VGG-M (Kim et al., 2021): the VGG-M speaker network of VoxCeleb1 (Nagrani et al.,
2017) with its convolutions replaced by temporal dynamic convolutions.

conv1 7x7/2, max-pool 3x3/2, conv2 5x5/2, max-pool 3x3/2, conv3-5 3x3 (all TDY, each with
batch norm and ReLU), then "fc6" as a convolution spanning all remaining frequency bins,
pooling over time and the embedding layer ("fc7"). Time and frequency shrink 16x before
fc6.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import torch
from torch import nn

from TrainAndTest.models.base import MODELS, SpeakerModel, build_pooling, pool_outputs
from TrainAndTest.models.layers import frames_to_image
from TrainAndTest.models.tdy_conv2d import TdyConv2d


class TdyConvBnRelu(nn.Module):
    """TDY convolution, batch norm, ReLU; keeps the last attention for inspection.

    Example:
        >>> TdyConvBnRelu(1, 4, 3, 2, basis=2)(torch.randn(2, 1, 8, 10)).shape
        torch.Size([2, 4, 4, 5])
    """

    def __init__(self, in_dim: int, out_dim: int, kernel_size: int, stride: int, basis: int):
        super().__init__()
        self.conv = TdyConv2d(in_dim, out_dim, kernel_size, stride, basis=basis)
        self.post = nn.Sequential(nn.BatchNorm2d(out_dim), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, in, F, T] -> [B, out, F/stride, T/stride]."""
        return self.post(self.conv(x))


@MODELS.register("tdy_vgg_m")
class TdyVggM(SpeakerModel):
    """TDY-VGG-M embedding extractor.

    Args:
        feat_dim: input features.
        embed_dim: embedding size (fc7).
        width: multiplier of VGG-M's channel counts (96, 256, 384, 256, 256).
        fc_channels: width of fc6.
        basis: basis kernels per TDY convolution.
        pooling: POOLING registry name (over fc6's frames).
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> m = TdyVggM(feat_dim=32, embed_dim=8, width=0.05, fc_channels=16, basis=2)
        >>> m(torch.randn(2, 50, 32)).shape
        torch.Size([2, 8])
    """

    base_channels = (96, 256, 384, 256, 256)
    min_frames = 16

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 512,
        width: float = 1.0,
        fc_channels: int = 512,
        basis: int = 4,
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        c1, c2, c3, c4, c5 = (max(int(round(c * width)), 1) for c in self.base_channels)
        self.convs = nn.Sequential(
            TdyConvBnRelu(1, c1, 7, 2, basis),
            nn.MaxPool2d(3, stride=2, padding=1),
            TdyConvBnRelu(c1, c2, 5, 2, basis),
            nn.MaxPool2d(3, stride=2, padding=1),
            TdyConvBnRelu(c2, c3, 3, 1, basis),
            TdyConvBnRelu(c3, c4, 3, 1, basis),
            TdyConvBnRelu(c4, c5, 3, 1, basis),
        )
        freq = feat_dim
        for _ in range(4):
            freq = (freq - 1) // 2 + 1
        self.fc6 = nn.Sequential(
            nn.Conv2d(c5, fc_channels, (freq, 1)), nn.BatchNorm2d(fc_channels), nn.ReLU()
        )
        self.pooling = build_pooling(pooling, fc_channels, pooling_conf)
        self.embedding = nn.Linear(self.pooling.out_dim, embed_dim)

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        fmap = self.convs(frames_to_image(x))
        out["feature_map"] = fmap
        frames = self.fc6(fmap).squeeze(2)
        out["frame_features"] = frames
        out["embedding"] = self.embedding(pool_outputs(self.pooling, frames, out))
        return out
