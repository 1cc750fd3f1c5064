"""Attentive statistics pooling: attention-weighted mean and standard deviation.

Okabe et al. (2018) with one score per frame; with ``channel_dependent=True`` one score per
channel and frame, and with ``global_context=True`` the scorer also sees the utterance's
mean and std appended to every frame, as in ECAPA-TDNN (Desplanques et al., 2020).
Output size ``2 * in_dim``.
"""

from __future__ import annotations

import torch
from torch import nn

from TrainAndTest.pooling.base import POOLING, Pooling, weighted_mean_std


@POOLING.register("asp")
class AttentiveStatisticsPooling(Pooling):
    """Attention-weighted mean and std.

    Args:
        in_dim: input channels C.
        attention_dim: hidden size of the scoring network.
        channel_dependent: one attention distribution per channel (ECAPA) or one shared.
        global_context: append the utterance mean/std to each frame before scoring (ECAPA).
        eps: variance floor.

    Example:
        >>> p = AttentiveStatisticsPooling(in_dim=4, attention_dim=3)
        >>> out, att = p(torch.randn(2, 4, 10), return_attention=True)
        >>> out.shape, att.shape
        (torch.Size([2, 8]), torch.Size([2, 4, 10]))
    """

    def __init__(
        self,
        in_dim: int,
        attention_dim: int = 128,
        channel_dependent: bool = True,
        global_context: bool = True,
        eps: float = 1e-5,
    ):
        super().__init__(in_dim)
        self.global_context = global_context
        self.eps = eps
        score_in = 3 * in_dim if global_context else in_dim
        self.hidden = nn.Sequential(
            nn.Conv1d(score_in, attention_dim, kernel_size=1),
            nn.ReLU(),
            nn.BatchNorm1d(attention_dim),
            nn.Tanh(),
        )
        self.score = nn.Conv1d(attention_dim, in_dim if channel_dependent else 1, kernel_size=1)
        self.out_dim = 2 * self.in_dim

    def pool(self, x):
        """See :meth:`Pooling.pool`; attention is [B, C, T] or [B, 1, T]."""
        scorer_in = x
        if self.global_context:
            frames = x.shape[-1]
            uniform = x.new_full((1, 1, frames), 1.0 / frames)
            mean, std = weighted_mean_std(x, uniform, self.eps)
            scorer_in = torch.cat(
                [x, mean.unsqueeze(-1).expand_as(x), std.unsqueeze(-1).expand_as(x)], dim=1
            )
        att = torch.softmax(self.score(self.hidden(scorer_in)), dim=-1)
        mean, std = weighted_mean_std(x, att, self.eps)
        return torch.cat([mean, std], dim=1), att
