"""Base class and registry of utterance-level pooling layers.

A pooling layer turns frame-level features ``[batch, channels, frames]`` (the channel-first
layout models use internally) into one vector per utterance ``[batch, out_dim]``.

Example:
    >>> import torch
    >>> from TrainAndTest.pooling import POOLING
    >>> pool = POOLING.build("stats", in_dim=8)
    >>> pool(torch.randn(2, 8, 30)).shape
    torch.Size([2, 16])
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn

from Process_Data.registry import Registry


class Pooling(nn.Module):
    """Base of every pooling layer.

    Subclasses set ``self.out_dim`` in ``__init__`` and implement :meth:`pool`.

    Args:
        in_dim: number of channels of the frame-level input.
    """

    def __init__(self, in_dim: int):
        super().__init__()
        if in_dim <= 0:
            raise ValueError(f"{type(self).__name__}: in_dim must be positive, got {in_dim}")
        self.in_dim = int(in_dim)
        self.out_dim = int(in_dim)

    def pool(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Pool ``x`` [B, C, T]; returns (pooled [B, out_dim], attention [B, H, T] or None)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """Pooled vector [B, out_dim]; with ``return_attention`` the pair from :meth:`pool`."""
        if x.dim() != 3 or x.shape[1] != self.in_dim:
            raise ValueError(
                f"{type(self).__name__}: expected input [batch, {self.in_dim}, frames], "
                f"got {list(x.shape)}"
            )
        pooled, attention = self.pool(x)
        return (pooled, attention) if return_attention else pooled


def weighted_mean_std(
    x: torch.Tensor, weights: torch.Tensor, eps: float = 1e-5
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of ``x`` [B, C, T] over time under ``weights``.

    Args:
        x: frame features [B, C, T].
        weights: non-negative weights summing to one over T, broadcastable to ``x``.
        eps: variance floor, keeps the square root differentiable for constant inputs.

    Returns:
        (mean, std), each [B, C].

    Example:
        >>> x = torch.tensor([[[1.0, 3.0]]])
        >>> m, s = weighted_mean_std(x, torch.full((1, 1, 2), 0.5))
        >>> float(m), round(float(s), 3)
        (2.0, 1.0)
    """
    mean = (x * weights).sum(dim=-1)
    var = (weights * (x - mean.unsqueeze(-1)).pow(2)).sum(dim=-1)
    return mean, var.clamp(min=eps).sqrt()


POOLING = Registry("pooling", Pooling)
