"""Self-attentive pooling: an attention-weighted mean over frames.

One scalar score per frame, ``v^T tanh(W x_t + b)``, softmax over time (Zhu et al., 2018;
Cai et al., 2018). Output size ``in_dim``.
"""

from __future__ import annotations

import torch
from torch import nn

from TrainAndTest.pooling.base import POOLING, Pooling


@POOLING.register("sap")
class SelfAttentivePooling(Pooling):
    """Attention-weighted mean.

    Args:
        in_dim: input channels C.
        attention_dim: hidden size of the scoring network.

    Example:
        >>> p = SelfAttentivePooling(in_dim=4, attention_dim=3)
        >>> out, att = p(torch.randn(2, 4, 10), return_attention=True)
        >>> out.shape, att.shape
        (torch.Size([2, 4]), torch.Size([2, 1, 10]))
    """

    def __init__(self, in_dim: int, attention_dim: int = 128):
        super().__init__(in_dim)
        self.hidden = nn.Conv1d(in_dim, attention_dim, kernel_size=1)
        self.score = nn.Conv1d(attention_dim, 1, kernel_size=1, bias=False)

    def pool(self, x):
        """See :meth:`Pooling.pool`; attention is [B, 1, T]."""
        att = torch.softmax(self.score(torch.tanh(self.hidden(x))), dim=-1)
        return (x * att).sum(dim=-1), att
