"""Extended TDNN (E-TDNN; Snyder et al., 2019, "Speaker recognition for multi-speaker
conversations using x-vectors").

The x-vector TDNN made deeper: wider temporal contexts interleaved with dense (1x1) layers,
then statistics pooling and the embedding affine layer.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from torch import nn

from TrainAndTest.models.base import MODELS, FramePoolModel
from TrainAndTest.models.layers import TdnnLayer


@MODELS.register("etdnn")
class Etdnn(FramePoolModel):
    """E-TDNN embedding extractor.

    Args:
        feat_dim: input features.
        embed_dim: embedding size.
        channels: width of the frame layers before the pooled layer.
        stats_channels: width of the last frame layer (the pooled layer).
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> import torch
        >>> m = Etdnn(feat_dim=20, embed_dim=8, channels=16, stats_channels=24)
        >>> m(torch.randn(2, 40, 20)).shape
        torch.Size([2, 8])
    """

    # (kernel, dilation): context layers interleaved with dense layers; contexts
    # [-2,2], {-2,0,2}, {-3,0,3}, {-4,0,4}
    layer_contexts = ((5, 1), (1, 1), (3, 2), (1, 1), (3, 3), (1, 1), (3, 4), (1, 1))
    min_frames = 23

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 512,
        channels: int = 512,
        stats_channels: int = 1500,
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        layers = []
        in_dim = feat_dim
        for kernel, dilation in self.layer_contexts:
            layers.append(TdnnLayer(in_dim, channels, kernel, dilation))
            in_dim = channels
        layers.append(TdnnLayer(channels, stats_channels))
        self.set_head(nn.Sequential(*layers), stats_channels, pooling, pooling_conf)
