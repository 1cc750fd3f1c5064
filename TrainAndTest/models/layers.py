"""Small building blocks shared by several architectures (TDNN layer, SE blocks)."""

from __future__ import annotations

import torch
from torch import nn


class TdnnLayer(nn.Module):
    """1-D convolution over time + ReLU + batch norm (Kaldi's "relu-batchnorm" order).

    A Kaldi TDNN layer with context ``{-d*(k//2) .. d*(k//2)}`` is a convolution with kernel
    ``k`` and dilation ``d``; no padding, so every layer trims ``d*(k-1)`` frames, like
    Kaldi's TDNN (``padding=True`` keeps the length instead).

    Args:
        in_dim: input channels.
        out_dim: output channels.
        kernel_size: context width k.
        dilation: context step d.
        groups: channel groups.
        padding: pad to keep the number of frames.

    Example:
        >>> TdnnLayer(4, 6, kernel_size=3, dilation=2)(torch.randn(2, 4, 10)).shape
        torch.Size([2, 6, 6])
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: int = 1,
        dilation: int = 1,
        groups: int = 1,
        padding: bool = False,
    ):
        super().__init__()
        pad = dilation * (kernel_size - 1) // 2 if padding else 0
        self.conv = nn.Conv1d(
            in_dim, out_dim, kernel_size, dilation=dilation, padding=pad, groups=groups
        )
        self.relu = nn.ReLU()
        self.bn = nn.BatchNorm1d(out_dim)
        self.context = dilation * (kernel_size - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, in_dim, T] -> [B, out_dim, T - context] (T with padding)."""
        return self.bn(self.relu(self.conv(x)))


class SqueezeExcitation1d(nn.Module):
    """Squeeze-excitation over channels of a ``[B, C, T]`` sequence (Hu et al., 2018).

    Args:
        channels: C.
        bottleneck: hidden size of the excitation network.

    Example:
        >>> SqueezeExcitation1d(8, 2)(torch.randn(2, 8, 5)).shape
        torch.Size([2, 8, 5])
    """

    def __init__(self, channels: int, bottleneck: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(channels, bottleneck, kernel_size=1),
            nn.ReLU(),
            nn.Conv1d(bottleneck, channels, kernel_size=1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rescale every channel by a gate computed from its mean over time."""
        return x * self.net(x.mean(dim=-1, keepdim=True))


def frames_to_channels_first(x: torch.Tensor) -> torch.Tensor:
    """[B, T, F] -> [B, F, T] (contiguous), the layout of 1-D convolutions."""
    return x.transpose(1, 2).contiguous()


def frames_to_image(x: torch.Tensor) -> torch.Tensor:
    """[B, T, F] -> [B, 1, F, T], the layout of 2-D convolutions (frequency x time)."""
    return x.transpose(1, 2).unsqueeze(1)
