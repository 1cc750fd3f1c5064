"""LSTM speaker encoders on 40-dim MFCC: the GE2E-style LSTM (Wan et al., 2018), whose
embedding comes from the last frame, and the attention LSTM (Chowdhury et al., 2018), which
pools all frames with self-attention.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import torch
from torch import nn

from TrainAndTest.models.base import MODELS, SpeakerModel, build_pooling, pool_outputs


@MODELS.register("lstm")
class Lstm(SpeakerModel):
    """Stacked projected LSTM; ``pooling="last"`` takes the last frame's output.

    Args:
        feat_dim: input features (40 MFCC).
        embed_dim: embedding size.
        hidden: LSTM cell size.
        proj: LSTM output projection size (0: none).
        layers: stacked LSTM layers.
        pooling: ``last`` or a POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> m = Lstm(feat_dim=40, embed_dim=8, hidden=16, proj=8, layers=2)
        >>> m(torch.randn(2, 30, 40)).shape
        torch.Size([2, 8])
    """

    def __init__(
        self,
        feat_dim: int = 40,
        embed_dim: int = 256,
        hidden: int = 768,
        proj: int = 256,
        layers: int = 3,
        pooling: str = "last",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        self.lstm = nn.LSTM(feat_dim, hidden, num_layers=layers, batch_first=True, proj_size=proj)
        out_dim = proj if proj > 0 else hidden
        self.pooling = None if pooling == "last" else build_pooling(pooling, out_dim, pooling_conf)
        self.embedding = nn.Linear(out_dim if self.pooling is None else self.pooling.out_dim,
                                   embed_dim)

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        seq, _ = self.lstm(x)
        frames = seq.transpose(1, 2)
        out["frame_features"] = frames
        if self.pooling is None:
            pooled = out["pool"] = seq[:, -1]
        else:
            pooled = pool_outputs(self.pooling, frames, out)
        out["embedding"] = self.embedding(pooled)
        return out


@MODELS.register("attention_lstm")
class AttentionLstm(Lstm):
    """:class:`Lstm` pooled with self-attention (``pooling="sap"``) by default.

    Example:
        >>> m = AttentionLstm(embed_dim=8, hidden=16, proj=8, layers=1)
        >>> sorted(m.forward_features(torch.randn(2, 30, 40)))
        ['attention', 'embedding', 'frame_features', 'pool']
    """

    def __init__(self, pooling: str = "sap", **kwargs: Any):
        super().__init__(pooling=pooling, **kwargs)
