"""ECAPA2-style hybrid network (after Thienpondt and Demuynck, 2023, "ECAPA2: A hybrid
neural network architecture and training strategy for robust speaker embeddings").

Local part: 2-D residual convolution blocks over (frequency x time) with frequency-wise
squeeze-excitation, downsampling frequency only. Global part: the flattened local output
goes through 1-D SE-Res2Net blocks (as in ECAPA-TDNN), multi-layer aggregation, attentive
statistics pooling and the embedding layer. ``forward_features`` also returns the
intermediate pooled statistics (mean and std over time) of the local output
(``stats_local``) and of every global block (``stats_block1`` ...).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from TrainAndTest.models.base import MODELS, SpeakerModel, pool_outputs, set_attentive_head
from TrainAndTest.models.ecapa_tdnn import SeRes2NetBlock
from TrainAndTest.models.layers import TdnnLayer, frames_to_image


class FrequencySqueezeExcitation(nn.Module):
    """Frequency-wise squeeze-excitation: one gate per frequency bin.

    The map is averaged over channels and time, and a small MLP over the frequency axis
    gives a sigmoid gate per bin.

    Args:
        freq: number of frequency bins F.
        bottleneck: hidden size of the MLP.

    Example:
        >>> FrequencySqueezeExcitation(6, 3)(torch.randn(2, 4, 6, 10)).shape
        torch.Size([2, 4, 6, 10])
    """

    def __init__(self, freq: int, bottleneck: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(freq, bottleneck), nn.ReLU(), nn.Linear(bottleneck, freq), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, F, T] -> same shape, each frequency bin rescaled."""
        gate = self.net(x.mean(dim=(1, 3)))
        return x * gate[:, None, :, None]


class LocalBlock(nn.Module):
    """2-D residual block (3x3, 3x3) with frequency-wise SE; optional frequency stride 2.

    Example:
        >>> LocalBlock(4, 8, freq_stride=2)(torch.randn(2, 4, 8, 10)).shape
        torch.Size([2, 4, 4, 10])
    """

    def __init__(self, channels: int, freq: int, freq_stride: int = 1):
        super().__init__()
        out_freq = (freq - 1) // freq_stride + 1
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, stride=(freq_stride, 1), padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            FrequencySqueezeExcitation(out_freq, max(out_freq // 2, 1)),
        )
        self.shortcut = (
            nn.Identity()
            if freq_stride == 1
            else nn.Sequential(
                nn.Conv2d(channels, channels, 1, stride=(freq_stride, 1), bias=False),
                nn.BatchNorm2d(channels),
            )
        )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, F, T] -> [B, C, F/freq_stride, T]."""
        return self.relu(self.body(x) + self.shortcut(x))


def mean_std(x: torch.Tensor) -> torch.Tensor:
    """Concatenated mean and std over the last axis of ``x`` [B, C, T] -> [B, 2C]."""
    mean = x.mean(dim=-1)
    std = (x - mean.unsqueeze(-1)).pow(2).mean(dim=-1).clamp(min=1e-5).sqrt()
    return torch.cat([mean, std], dim=1)


@MODELS.register("ecapa2")
class Ecapa2(SpeakerModel):
    """ECAPA2-style hybrid embedding extractor.

    Args:
        feat_dim: input features.
        embed_dim: embedding size.
        local_channels: channels of the 2-D part.
        local_stages: blocks per local stage; each stage starts with a frequency stride 2.
        channels: width of the 1-D global blocks.
        dilations: one global SE-Res2Net block per dilation (kernel 3).
        mfa_channels: width of the aggregation layer.
        scale: Res2Net groups.
        se_channels: squeeze-excitation bottleneck of the global blocks.
        attention_channels: hidden size of the pooling attention.
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> m = Ecapa2(feat_dim=16, embed_dim=8, local_channels=4, local_stages=(1, 1),
        ...            channels=16, mfa_channels=24, scale=4, se_channels=4,
        ...            attention_channels=4)
        >>> out = m.forward_features(torch.randn(2, 30, 16))
        >>> out["embedding"].shape, out["stats_local"].shape, out["stats_block3"].shape
        (torch.Size([2, 8]), torch.Size([2, 32]), torch.Size([2, 32]))
    """

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 192,
        local_channels: int = 64,
        local_stages: Sequence[int] = (2, 2, 2),
        channels: int = 512,
        dilations: Sequence[int] = (2, 3, 4),
        mfa_channels: int = 1536,
        scale: int = 8,
        se_channels: int = 128,
        attention_channels: int = 128,
        pooling: str = "asp",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        self.stem = nn.Sequential(
            nn.Conv2d(1, local_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(local_channels),
            nn.ReLU(),
        )
        blocks = []
        freq = feat_dim
        for n_blocks in local_stages:
            for i in range(n_blocks):
                stride = 2 if i == 0 else 1
                blocks.append(LocalBlock(local_channels, freq, stride))
                freq = (freq - 1) // stride + 1
        self.local_blocks = nn.Sequential(*blocks)
        self.transition = TdnnLayer(local_channels * freq, channels)
        self.global_blocks = nn.ModuleList(
            SeRes2NetBlock(channels, 3, int(d), scale, se_channels) for d in dilations
        )
        self.aggregate = TdnnLayer(channels * len(self.global_blocks), mfa_channels)
        set_attentive_head(self, mfa_channels, pooling, pooling_conf, attention_channels)

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        local = self.local_blocks(self.stem(frames_to_image(x))).flatten(1, 2)
        out["stats_local"] = mean_std(local)
        h = self.transition(local)
        block_outputs = []
        for i, block in enumerate(self.global_blocks, start=1):
            h = block(h)
            block_outputs.append(h)
            out[f"stats_block{i}"] = mean_std(h)
        frames = self.aggregate(torch.cat(block_outputs, dim=1))
        out["frame_features"] = frames
        pooled = self.pool_bn(pool_outputs(self.pooling, frames, out))
        out["embedding"] = self.embedding(pooled)
        return out
