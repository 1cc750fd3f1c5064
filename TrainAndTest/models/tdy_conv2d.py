"""Temporal dynamic convolution (TDY; Kim et al., 2021, "Temporal dynamic CNN for
text-independent speaker verification").

K basis kernels are mixed per output frame by a softmax attention computed from the input's
frequency-averaged features, so the effective kernel changes over time:
``y[:, :, :, t] = sum_k a_k(t) (W_k * x)[:, :, :, t]``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class TdyConv2d(nn.Module):
    """2-D convolution whose kernel is a time-dependent mixture of ``basis`` kernels.

    Args:
        in_dim: input channels.
        out_dim: output channels.
        kernel_size: square kernel size (odd; padding keeps size / stride).
        stride: stride in frequency and time.
        basis: number of basis kernels K.
        reduction: attention hidden width is ``max(in_dim // reduction, 4)``.
        temperature: softmax temperature of the attention (larger: flatter mixtures).

    Example:
        >>> conv = TdyConv2d(3, 5, 3, stride=2, basis=4)
        >>> y, att = conv(torch.randn(2, 3, 8, 10), return_attention=True)
        >>> y.shape, att.shape
        (torch.Size([2, 5, 4, 5]), torch.Size([2, 4, 5]))
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: int = 3,
        stride: int = 1,
        basis: int = 4,
        reduction: int = 4,
        temperature: float = 1.0,
    ):
        super().__init__()
        if basis < 1:
            raise ValueError(f"TdyConv2d: basis must be >= 1, got {basis}")
        self.out_dim = out_dim
        self.basis = basis
        self.stride = stride
        self.padding = kernel_size // 2
        self.temperature = temperature
        self.weight = nn.Parameter(torch.empty(basis, out_dim, in_dim, kernel_size, kernel_size))
        for k in range(basis):
            nn.init.kaiming_uniform_(self.weight[k], a=math.sqrt(5))
        hidden = max(in_dim // reduction, 4)
        # the attention's time axis must follow the convolution's output frames
        self.attention = nn.Sequential(
            nn.Conv1d(in_dim, hidden, kernel_size, stride=stride, padding=self.padding),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Conv1d(hidden, basis, kernel_size=1),
        )

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """[B, in, F, T] -> [B, out, F', T'] (and the attention [B, K, T'] if asked)."""
        att = torch.softmax(self.attention(x.mean(dim=2)) / self.temperature, dim=1)
        weight = self.weight.reshape(-1, *self.weight.shape[2:])
        y = F.conv2d(x, weight, stride=self.stride, padding=self.padding)
        batch, _, freq, frames = y.shape
        y = y.reshape(batch, self.basis, self.out_dim, freq, frames)
        # an explicit multiply-accumulate over the K basis outputs is several times faster
        # on CPU than einsum, which permutes the 5-D tensor first
        mixed = y[:, 0] * att[:, 0, None, None, :]
        for k in range(1, self.basis):
            mixed = mixed.addcmul_(y[:, k], att[:, k, None, None, :])
        return (mixed, att) if return_attention else mixed
