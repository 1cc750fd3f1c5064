"""AM-softmax (CosFace): additive cosine margin on normalised embeddings and weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from TrainAndTest.losses.base import (
    LABELS,
    LOSSES,
    LossOutput,
    SpeakerLoss,
    cosine_matrix,
    top1_accuracy,
)


@LOSSES.register("am_softmax")
class AmSoftmax(SpeakerLoss):
    """Additive-margin softmax (Wang et al. 2018, CosFace).

    Logits are ``s * cos(theta_j)`` for every class ``j`` except the target, whose logit is
    ``s * (cos(theta_y) - m)``; ``theta_j`` is the angle between the embedding and the weight
    row of class ``j``. Accuracy is measured on the plain cosines (no margin).

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        margin: ``m`` (>= 0); scheduled through :meth:`set_margin`.
        scale: ``s`` (> 0).

    Example:
        >>> head = AmSoftmax(embed_dim=4, num_classes=3, margin=0.2, scale=30.0)
        >>> head(torch.randn(2, 4), torch.tensor([0, 2])).logits.shape
        torch.Size([2, 3])
    """

    batch_layout = LABELS
    margin_min = 0.0  # additive cosine margin m

    def __init__(self, embed_dim: int, num_classes: int, margin: float = 0.2, scale: float = 30.0):
        super().__init__(embed_dim, num_classes)
        if scale <= 0:
            raise ValueError(f"AmSoftmax: scale must be > 0, got {scale}")
        self.scale = float(scale)
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.embed_dim))
        nn.init.xavier_normal_(self.weight)
        self.set_margin(margin)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> LossOutput:
        """Cross-entropy on ``s * (cos - m * onehot(labels))``."""
        self._check_labels_batch(embeddings, labels)
        cos = cosine_matrix(embeddings, self.weight)
        target = cos.gather(1, labels[:, None]) - self._margin
        logits = cos.scatter(1, labels[:, None], target) * self.scale
        return LossOutput(F.cross_entropy(logits, labels), top1_accuracy(cos, labels), logits)
