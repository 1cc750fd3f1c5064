"""Statistics pooling: the mean and standard deviation of every channel over time.

As in the x-vector system (Snyder et al., 2018). Output size ``2 * in_dim``.
"""

from __future__ import annotations

import torch

from TrainAndTest.pooling.base import POOLING, Pooling


@POOLING.register("stats")
class StatisticsPooling(Pooling):
    """Concatenated mean and standard deviation over frames.

    Args:
        in_dim: input channels C.
        eps: variance floor before the square root.

    Example:
        >>> p = StatisticsPooling(in_dim=4)
        >>> p(torch.ones(2, 4, 10)).shape
        torch.Size([2, 8])
    """

    def __init__(self, in_dim: int, eps: float = 1e-5):
        super().__init__(in_dim)
        self.eps = eps
        self.out_dim = 2 * self.in_dim

    def pool(self, x):
        """See :meth:`Pooling.pool`; no attention."""
        mean = x.mean(dim=-1)
        var = (x - mean.unsqueeze(-1)).pow(2).mean(dim=-1)
        return torch.cat([mean, var.clamp(min=self.eps).sqrt()], dim=1), None
