"""Multi-head attentive statistics pooling.

The channels are split into ``heads`` equal groups; each group gets its own attention
distribution over frames, from which a weighted mean and std are taken (India et al., 2019,
extended with standard deviations). Output size ``2 * in_dim``.
"""

from __future__ import annotations

import torch
from torch import nn

from TrainAndTest.pooling.base import POOLING, Pooling, weighted_mean_std


@POOLING.register("mhasp")
class MultiHeadAttentiveStatisticsPooling(Pooling):
    """Per-head attention-weighted mean and std.

    Args:
        in_dim: input channels C, divisible by ``heads``.
        heads: number of attention heads H.
        attention_dim: hidden size of each head's scoring network (0: linear scores).
        eps: variance floor.

    Example:
        >>> p = MultiHeadAttentiveStatisticsPooling(in_dim=8, heads=4, attention_dim=3)
        >>> out, att = p(torch.randn(2, 8, 10), return_attention=True)
        >>> out.shape, att.shape
        (torch.Size([2, 16]), torch.Size([2, 4, 10]))
    """

    def __init__(self, in_dim: int, heads: int = 4, attention_dim: int = 64, eps: float = 1e-5):
        super().__init__(in_dim)
        if heads <= 0 or in_dim % heads:
            raise ValueError(f"mhasp: in_dim {in_dim} is not divisible by heads {heads}")
        self.heads = heads
        self.eps = eps
        if attention_dim > 0:
            # grouped 1x1 convolutions: every head scores only its own channels
            self.scorer = nn.Sequential(
                nn.Conv1d(in_dim, attention_dim * heads, kernel_size=1, groups=heads),
                nn.Tanh(),
                nn.Conv1d(attention_dim * heads, heads, kernel_size=1, groups=heads),
            )
        else:
            self.scorer = nn.Conv1d(in_dim, heads, kernel_size=1, groups=heads)
        self.out_dim = 2 * self.in_dim

    def pool(self, x):
        """See :meth:`Pooling.pool`; attention is [B, heads, T]."""
        batch, channels, frames = x.shape
        att = torch.softmax(self.scorer(x), dim=-1)
        per_head = x.reshape(batch, self.heads, channels // self.heads, frames)
        mean, std = weighted_mean_std(per_head, att.unsqueeze(2), self.eps)
        return torch.cat([mean.reshape(batch, -1), std.reshape(batch, -1)], dim=1), att
