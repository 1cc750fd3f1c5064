"""Factorised TDNN (F-TDNN; Povey et al., 2018, used for speaker embeddings by Villalba et
al., 2019).

Each factorised layer is a semi-orthogonal bottleneck projection (context {-s, 0}) followed
by an affine layer (context {0, s}), ReLU, batch norm and a scaled bypass of the layer
input. The bottleneck projection is kept semi-orthogonal by calling
:meth:`Ftdnn.constrain_semi_orthogonal` after optimiser steps (Kaldi does it every few
steps); the update is Povey et al.'s floating-scale constraint step.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from TrainAndTest.models.base import MODELS, SpeakerModel, build_pooling, pool_outputs
from TrainAndTest.models.layers import TdnnLayer, frames_to_channels_first


@torch.no_grad()
def semi_orthogonal_step(
    weight: torch.Tensor, scale: Optional[float] = None, update_speed: float = 0.125
) -> None:
    """One in-place step pulling ``weight`` towards ``scale`` times a semi-orthogonal matrix.

    The weight is viewed as a matrix M of shape [out, in * kernel] (transposed when it has
    more rows than columns). With P = M M^T the step is
    ``M <- M - 4 * (speed / scale^2) * (P - scale^2 I) M``, which decreases
    ``||P - scale^2 I||^2``. With ``scale=None`` the scale floats: ``scale^2 =
    tr(P P) / tr(P)``, the value that leaves the matrix's overall size unchanged. The speed
    is reduced when M is far from orthogonal, for stability.

    Args:
        weight: parameter tensor [out, in, ...], modified in place.
        scale: target singular value (None: floating).
        update_speed: step size factor.

    The step converges when the singular values start within a factor of about 1.7 of the
    target (Kaldi applies it every few optimiser steps, so the weights never drift far).

    Example:
        >>> w = torch.randn(4, 10) / 10**0.5
        >>> for _ in range(100):
        ...     semi_orthogonal_step(w, scale=1.0)
        >>> torch.allclose(w @ w.T, torch.eye(4), atol=1e-4)
        True
    """
    m = weight.reshape(weight.shape[0], -1)
    transposed = m.shape[0] > m.shape[1]
    if transposed:
        m = m.T
    m64 = m.double()
    p = m64 @ m64.T
    trace_p = torch.trace(p)
    trace_pp = (p * p).sum()
    if trace_p <= 0:
        return
    rows = p.shape[0]
    ratio = trace_pp * rows / trace_p**2  # 1 exactly when M is a scaled semi-orthogonal
    if ratio > 1.1:
        update_speed *= 0.25
    elif ratio > 1.02:
        update_speed *= 0.5
    scale2 = trace_pp / trace_p if scale is None else torch.tensor(scale**2, dtype=p.dtype)
    p.diagonal().sub_(scale2)
    new = m64 - 4.0 * (update_speed / scale2) * (p @ m64)
    if transposed:
        new = new.T
    weight.copy_(new.reshape(weight.shape).to(weight.dtype))


class FactorizedTdnnLayer(nn.Module):
    """Semi-orthogonal bottleneck + affine, context {-s, 0, s}, with a scaled bypass.

    Args:
        channels: input/output width.
        bottleneck: width of the semi-orthogonal projection.
        time_stride: s.
        bypass_scale: weight of the input added to the output (0: no bypass).

    Example:
        >>> FactorizedTdnnLayer(8, 4, time_stride=2)(torch.randn(2, 8, 10)).shape
        torch.Size([2, 8, 10])
    """

    def __init__(
        self, channels: int, bottleneck: int, time_stride: int = 1, bypass_scale: float = 0.66
    ):
        super().__init__()
        self.time_stride = time_stride
        self.bypass_scale = bypass_scale
        kernel = 2 if time_stride > 0 else 1
        dilation = max(time_stride, 1)
        self.factor = nn.Conv1d(channels, bottleneck, kernel, dilation=dilation, bias=False)
        self.affine = nn.Conv1d(bottleneck, channels, kernel, dilation=dilation)
        self.relu = nn.ReLU()
        self.bn = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, T] -> [B, C, T] (padding keeps the length)."""
        s = self.time_stride
        h = self.factor(F.pad(x, (s, 0)) if s > 0 else x)  # offsets {-s, 0}
        h = self.affine(F.pad(h, (0, s)) if s > 0 else h)  # offsets {0, s}
        h = self.bn(self.relu(h))
        return h + self.bypass_scale * x if self.bypass_scale else h

    def step_semi_orth(self) -> None:
        """Apply one semi-orthogonal constraint step (floating scale) to the bottleneck."""
        semi_orthogonal_step(self.factor.weight)


@MODELS.register("ftdnn")
class Ftdnn(SpeakerModel):
    """F-TDNN embedding extractor.

    Args:
        feat_dim: input features.
        embed_dim: embedding size.
        channels: width of the factorised layers.
        bottleneck: semi-orthogonal bottleneck width.
        time_strides: one time stride per factorised layer (0: no context).
        stats_channels: width of the pooled layer.
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> m = Ftdnn(feat_dim=20, embed_dim=8, channels=16, bottleneck=4,
        ...           time_strides=(1, 3), stats_channels=24)
        >>> m(torch.randn(2, 30, 20)).shape
        torch.Size([2, 8])
        >>> m.constrain_semi_orthogonal()
    """

    min_frames = 5

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 512,
        channels: int = 1024,
        bottleneck: int = 256,
        time_strides: Sequence[int] = (1, 1, 1, 3, 3, 3, 3, 3, 0, 0),
        stats_channels: int = 1536,
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        self.input_layer = TdnnLayer(feat_dim, channels, kernel_size=5, padding=True)
        self.factorized = nn.ModuleList(
            FactorizedTdnnLayer(channels, bottleneck, int(s)) for s in time_strides
        )
        self.output_layer = TdnnLayer(channels, stats_channels)
        self.pooling = build_pooling(pooling, stats_channels, pooling_conf)
        self.embedding = nn.Linear(self.pooling.out_dim, embed_dim)

    def constrain_semi_orthogonal(self) -> None:
        """One constraint step on every factorised layer; call after optimiser steps."""
        for layer in self.factorized:
            layer.step_semi_orth()

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        h = self.input_layer(frames_to_channels_first(x))
        for layer in self.factorized:
            h = layer(h)
        frames = self.output_layer(h)
        out["frame_features"] = frames
        out["embedding"] = self.embedding(pool_outputs(self.pooling, frames, out))
        return out
