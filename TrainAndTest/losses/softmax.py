"""Plain softmax classification head: a linear layer and cross-entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from TrainAndTest.losses.base import LABELS, LOSSES, LossOutput, SpeakerLoss, top1_accuracy


@LOSSES.register("softmax")
class Softmax(SpeakerLoss):
    """Speaker classification with an affine layer ``W x + b`` and cross-entropy.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        bias: whether the affine layer has a bias.

    ``forward(embeddings [B, D], labels [B]) -> LossOutput`` with ``logits [B, C]``.

    Example:
        >>> head = Softmax(embed_dim=4, num_classes=3)
        >>> out = head(torch.randn(2, 4), torch.tensor([0, 2]))
        >>> out.logits.shape
        torch.Size([2, 3])
    """

    batch_layout = LABELS

    def __init__(self, embed_dim: int, num_classes: int, bias: bool = True):
        super().__init__(embed_dim, num_classes)
        self.fc = nn.Linear(self.embed_dim, self.num_classes, bias=bias)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> LossOutput:
        """Cross-entropy of ``fc(embeddings)`` against ``labels``."""
        self._check_labels_batch(embeddings, labels)
        logits = self.fc(embeddings)
        return LossOutput(F.cross_entropy(logits, labels), top1_accuracy(logits, labels), logits)
