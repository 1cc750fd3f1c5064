"""Center loss: a classification head plus a pull of each embedding to its class center."""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from TrainAndTest.losses.base import LABELS, LOSSES, LossOutput, SpeakerLoss


@LOSSES.register("center_loss")
class CenterLoss(SpeakerLoss):
    """Center loss (Wen et al. 2016) added to a classification loss.

    ``loss = classifier_loss + center_weight * 0.5 * mean_i ||x_i - c_{y_i}||^2``: the squared
    Euclidean distance of each embedding to its class center ``c_y``, halved and averaged
    over the batch. Centers are parameters learnt by the optimiser (not the paper's separate
    moving-average update), so one optimiser step updates everything.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        center_weight: ``lambda`` of the paper.
        classifier: registry name of the classification head it is added to (any loss with
            ``batch_layout == "labels"``).
        classifier_conf: keyword arguments of that head (margin, scale, ...).

    ``accuracy`` and ``logits`` are the classifier's; ``margin``/``set_margin`` reach the
    classifier's margin when it has one.

    Example:
        >>> loss = CenterLoss(embed_dim=4, num_classes=3, classifier="am_softmax")
        >>> loss.margin
        0.2
    """

    batch_layout = LABELS

    def __init__(
        self,
        embed_dim: int,
        num_classes: int,
        center_weight: float = 0.003,
        classifier: str = "softmax",
        classifier_conf: Optional[dict] = None,
    ):
        super().__init__(embed_dim, num_classes)
        if center_weight < 0:
            raise ValueError(f"CenterLoss: center_weight must be >= 0, got {center_weight}")
        self.center_weight = float(center_weight)
        self.classifier = LOSSES.build(
            classifier, embed_dim=self.embed_dim, num_classes=self.num_classes,
            **(classifier_conf or {}),
        )
        if self.classifier.batch_layout != LABELS:
            raise ValueError(
                f"CenterLoss: classifier '{classifier}' has batch_layout "
                f"{self.classifier.batch_layout!r}, needs 'labels'"
            )
        self.centers = nn.Parameter(torch.randn(self.num_classes, self.embed_dim))

    @property
    def margin(self) -> Optional[float]:
        """The classifier's margin (``None`` if it has none)."""
        return self.classifier.margin

    def set_margin(self, margin: float) -> None:
        """Set the classifier's margin."""
        self.classifier.set_margin(margin)

    def center_term(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``0.5 * mean_i ||x_i - c_{y_i}||^2`` (unweighted)."""
        return 0.5 * (embeddings - self.centers[labels]).pow(2).sum(dim=1).mean()

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> LossOutput:
        """Classifier loss plus ``center_weight`` times :meth:`center_term`."""
        self._check_labels_batch(embeddings, labels)
        out = self.classifier(embeddings, labels)
        loss = out.loss + self.center_weight * self.center_term(embeddings, labels)
        return LossOutput(loss, out.accuracy, out.logits)
