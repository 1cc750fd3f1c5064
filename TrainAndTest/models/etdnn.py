"""Extended TDNN (E-TDNN; Snyder et al., 2019, "Speaker recognition for multi-speaker
conversations using x-vectors").

The x-vector TDNN made deeper: wider temporal contexts interleaved with dense (1x1) layers,
then statistics pooling and the embedding affine layer.
"""

from __future__ import annotations

from typing import Any

from TrainAndTest.models.base import MODELS
from TrainAndTest.models.tdnn import XVectorTdnn


@MODELS.register("etdnn")
class Etdnn(XVectorTdnn):
    """E-TDNN embedding extractor.

    The x-vector TDNN's constructor with other layer contexts (its arguments; ``feat_dim``
    defaults to 80-dim fbank here).

    Example:
        >>> import torch
        >>> m = Etdnn(feat_dim=20, embed_dim=8, channels=16, stats_channels=24)
        >>> m(torch.randn(2, 40, 20)).shape
        torch.Size([2, 8])
    """

    # (kernel, dilation): context layers interleaved with dense layers; contexts
    # [-2,2], {-2,0,2}, {-3,0,3}, {-4,0,4}; then the dense pooled layer
    layer_contexts = ((5, 1), (1, 1), (3, 2), (1, 1), (3, 3), (1, 1), (3, 4), (1, 1))
    min_frames = 23

    def __init__(self, feat_dim: int = 80, **kwargs: Any):
        super().__init__(feat_dim=feat_dim, **kwargs)
