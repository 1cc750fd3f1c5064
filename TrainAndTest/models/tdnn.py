"""The x-vector TDNN (Snyder et al., 2018, "X-vectors: robust DNN embeddings").

Five frame-level TDNN layers (contexts [-2,2], {-2,0,2}, {-3,0,3}, {0}, {0}), statistics
pooling, and the segment-level affine layer whose output is the x-vector. Kaldi's second
segment layer (segment7) only feeds the classifier, so it belongs to the loss head and is
not part of this model. Parameter count: 4.21M at 30-dim MFCC, 4.34M at 80-dim fbank
(512-dim embedding).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from torch import nn

from TrainAndTest.models.base import MODELS, FramePoolModel
from TrainAndTest.models.layers import TdnnLayer


@MODELS.register("xvector_tdnn")
class XVectorTdnn(FramePoolModel):
    """x-vector extractor.

    Args:
        feat_dim: input features (30 MFCC in Kaldi's recipe).
        embed_dim: x-vector size.
        channels: width of frame layers 1-4.
        stats_channels: width of frame layer 5 (the pooled layer).
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> import torch
        >>> m = XVectorTdnn(feat_dim=30, embed_dim=8, channels=16, stats_channels=24)
        >>> m(torch.randn(2, 40, 30)).shape
        torch.Size([2, 8])
    """

    # (kernel, dilation) of frame layers 1-4 (width ``channels``); frame layer 5 is always a
    # dense (1x1) layer of width ``stats_channels``. Subclasses (E-TDNN) change only these.
    layer_contexts = ((5, 1), (3, 2), (3, 3), (1, 1))
    min_frames = 15

    def __init__(
        self,
        feat_dim: int = 30,
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
        layers.append(TdnnLayer(in_dim, stats_channels))
        self.set_head(nn.Sequential(*layers), stats_channels, pooling, pooling_conf)
