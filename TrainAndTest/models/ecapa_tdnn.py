"""ECAPA-TDNN (Desplanques et al., 2020, "ECAPA-TDNN: Emphasized channel attention,
propagation and aggregation in TDNN based speaker verification").

A TDNN input layer, three SE-Res2Net blocks (kernel 3, dilations 2, 3, 4), multi-layer
feature aggregation (concatenated block outputs -> 1x1 layer, 1536 channels), channel- and
context-dependent attentive statistics pooling, batch norm, and the embedding layer with
batch norm. Presets: ``ecapa_tdnn_c512`` (6.2M parameters at 80-dim fbank, 192-dim
embedding) and ``ecapa_tdnn_c1024`` (14.7M), the paper's two sizes; ``ecapa_tdnn`` is the
class itself (C=512 unless ``channels`` says otherwise).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from TrainAndTest.models.base import (
    MODELS,
    SpeakerModel,
    pool_outputs,
    register_preset,
    set_attentive_head,
)
from TrainAndTest.models.layers import SqueezeExcitation1d, TdnnLayer, frames_to_channels_first


class Res2NetTdnn(nn.Module):
    """Res2Net layer: channel groups processed hierarchically, each seeing the previous one.

    The first group passes unchanged; group i > 0 goes through its own TDNN layer after
    adding the previous group's output, so the receptive field grows across groups.

    Args:
        channels: width, divisible by ``scale``.
        kernel_size: context width.
        dilation: context step.
        scale: number of groups.

    Example:
        >>> Res2NetTdnn(8, 3, 2, scale=4)(torch.randn(2, 8, 10)).shape
        torch.Size([2, 8, 10])
    """

    def __init__(self, channels: int, kernel_size: int, dilation: int, scale: int = 8):
        super().__init__()
        if channels % scale:
            raise ValueError(f"Res2Net: channels {channels} not divisible by scale {scale}")
        self.scale = scale
        width = channels // scale
        self.layers = nn.ModuleList(
            TdnnLayer(width, width, kernel_size, dilation, padding=True) for _ in range(scale - 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, T] -> [B, C, T]."""
        chunks = torch.chunk(x, self.scale, dim=1)
        outs = [chunks[0]]
        previous = None
        for chunk, layer in zip(chunks[1:], self.layers):
            previous = layer(chunk if previous is None else chunk + previous)
            outs.append(previous)
        return torch.cat(outs, dim=1)


class SeRes2NetBlock(nn.Module):
    """1x1 TDNN, Res2Net TDNN, 1x1 TDNN, squeeze-excitation, identity shortcut.

    Args:
        channels: width.
        kernel_size: Res2Net context width.
        dilation: Res2Net context step.
        scale: Res2Net groups.
        se_channels: squeeze-excitation bottleneck.

    Example:
        >>> SeRes2NetBlock(8, 3, 2, scale=4, se_channels=4)(torch.randn(2, 8, 10)).shape
        torch.Size([2, 8, 10])
    """

    def __init__(
        self, channels: int, kernel_size: int, dilation: int, scale: int = 8, se_channels=128
    ):
        super().__init__()
        self.net = nn.Sequential(
            TdnnLayer(channels, channels),
            Res2NetTdnn(channels, kernel_size, dilation, scale),
            TdnnLayer(channels, channels),
            SqueezeExcitation1d(channels, se_channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, T] -> [B, C, T]."""
        return x + self.net(x)


@MODELS.register("ecapa_tdnn")
class EcapaTdnn(SpeakerModel):
    """ECAPA-TDNN embedding extractor (``ecapa_tdnn``: set ``channels``; or the presets).

    Args:
        feat_dim: input features (80-dim fbank in the paper).
        embed_dim: embedding size (192).
        channels: block width C (512 or 1024).
        mfa_channels: width of the aggregation layer (1536 for both paper sizes).
        dilations: one SE-Res2Net block per dilation (kernel 3).
        scale: Res2Net groups.
        se_channels: squeeze-excitation bottleneck.
        attention_channels: hidden size of the pooling attention.
        pooling: POOLING registry name (``asp`` is ECAPA's).
        pooling_conf: extra pooling arguments (``attention_dim`` defaults to
            ``attention_channels``).
        freq_weights: optional fixed input weights [feat_dim].

    ``forward_features`` gives ``frame_features`` (the aggregation layer, [B, mfa, T]),
    ``pool``, ``attention`` ([B, mfa, T] for ``asp``) and ``embedding``.

    Example:
        >>> m = EcapaTdnn(feat_dim=20, embed_dim=8, channels=16, mfa_channels=24, scale=4,
        ...               se_channels=4, attention_channels=4)
        >>> m(torch.randn(2, 30, 20)).shape
        torch.Size([2, 8])
    """

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 192,
        channels: int = 512,
        mfa_channels: int = 1536,
        dilations: Sequence[int] = (2, 3, 4),
        scale: int = 8,
        se_channels: int = 128,
        attention_channels: int = 128,
        pooling: str = "asp",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        self.input_layer = TdnnLayer(feat_dim, channels, kernel_size=5, padding=True)
        self.blocks = nn.ModuleList(
            SeRes2NetBlock(channels, 3, int(d), scale, se_channels) for d in dilations
        )
        self.aggregate = TdnnLayer(channels * len(self.blocks), mfa_channels)
        set_attentive_head(self, mfa_channels, pooling, pooling_conf, attention_channels)

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        h = self.input_layer(frames_to_channels_first(x))
        block_outputs = []
        for block in self.blocks:
            h = block(h)
            block_outputs.append(h)
        frames = self.aggregate(torch.cat(block_outputs, dim=1))
        out["frame_features"] = frames
        pooled = self.pool_bn(pool_outputs(self.pooling, frames, out))
        out["embedding"] = self.embedding(pooled)
        return out


EcapaTdnnC512 = register_preset(
    "ecapa_tdnn_c512", EcapaTdnn, "EcapaTdnnC512", "ECAPA-TDNN with C=512 (6.2M)", channels=512
)
EcapaTdnnC1024 = register_preset(
    "ecapa_tdnn_c1024", EcapaTdnn, "EcapaTdnnC1024", "ECAPA-TDNN with C=1024 (14.7M)", channels=1024
)
