"""Angular prototypical loss: prototypical loss with a learnt-scale cosine similarity."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from TrainAndTest.losses.base import (
    LOSSES,
    SPK_UTT,
    LossOutput,
    SpeakerLoss,
    cosine_matrix,
    top1_accuracy,
)
from TrainAndTest.losses.prototypical import split_query_support


@LOSSES.register("angular_prototypical")
class AngularPrototypical(SpeakerLoss):
    """Angular prototypical loss (Chung et al. 2020, "In defence of metric learning").

    Queries and prototypes as in
    :class:`~TrainAndTest.losses.prototypical.Prototypical`; logits are
    ``w * cos(q_j, p_k) + b`` with learnt ``w > 0`` and ``b``; cross-entropy with target ``j``.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: unused (metric loss).
        init_w, init_b: initial ``w`` and ``b`` (10 and -5, as in the paper).

    Example:
        >>> loss = AngularPrototypical(embed_dim=4)
        >>> loss(torch.randn(3, 2, 4)).logits.shape
        torch.Size([3, 3])
    """

    batch_layout = SPK_UTT

    def __init__(
        self, embed_dim: int, num_classes: int = 0, init_w: float = 10.0, init_b: float = -5.0
    ):
        super().__init__(embed_dim, num_classes)
        self.w = nn.Parameter(torch.tensor(float(init_w)))
        self.b = nn.Parameter(torch.tensor(float(init_b)))

    def forward(self, x: torch.Tensor) -> LossOutput:
        """Angular prototypical loss of the ``[N, M, D]`` batch (``N, M >= 2``)."""
        self._check_spk_utt_batch(x, min_utts=2)
        query, proto = split_query_support(x)
        logits = self.w.clamp(min=1e-6) * cosine_matrix(query, proto) + self.b
        targets = torch.arange(x.shape[0], device=x.device)
        return LossOutput(
            F.cross_entropy(logits, targets), top1_accuracy(logits, targets), logits
        )
