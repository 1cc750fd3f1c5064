"""Ring loss: a classification head plus a soft constraint of embedding norms to a radius."""

from __future__ import annotations

from typing import Optional

import torch
import torch.distributed as dist
from torch import nn

from TrainAndTest.losses.base import LABELS, LOSSES, LossOutput, SpeakerLoss


@LOSSES.register("ring_loss")
class RingLoss(SpeakerLoss):
    """Ring loss (Zheng et al. 2018) added to a classification loss.

    ``loss = classifier_loss + ring_weight * 0.5 * mean_i (||x_i|| - R)^2`` with a learnt
    radius ``R``.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        ring_weight: ``lambda`` of the paper.
        init_radius: initial ``R``; ``None`` sets it to the mean embedding norm of the first
            training batch (a common initialisation; averaged over ranks under
            torch.distributed).
        classifier: registry name of the classification head (``batch_layout == "labels"``).
        classifier_conf: keyword arguments of that head.

    ``accuracy`` and ``logits`` are the classifier's; ``margin``/``set_margin`` reach the
    classifier's margin when it has one.

    Example:
        >>> loss = RingLoss(embed_dim=4, num_classes=3, init_radius=2.0)
        >>> loss.radius.item()
        2.0
    """

    batch_layout = LABELS

    def __init__(
        self,
        embed_dim: int,
        num_classes: int,
        ring_weight: float = 0.01,
        init_radius: Optional[float] = None,
        classifier: str = "softmax",
        classifier_conf: Optional[dict] = None,
    ):
        super().__init__(embed_dim, num_classes)
        if ring_weight < 0:
            raise ValueError(f"RingLoss: ring_weight must be >= 0, got {ring_weight}")
        if init_radius is not None and init_radius <= 0:
            raise ValueError(f"RingLoss: init_radius must be > 0 or None, got {init_radius}")
        self.ring_weight = float(ring_weight)
        self.classifier = LOSSES.build(
            classifier, embed_dim=self.embed_dim, num_classes=self.num_classes,
            **(classifier_conf or {}),
        )
        if self.classifier.batch_layout != LABELS:
            raise ValueError(
                f"RingLoss: classifier '{classifier}' has batch_layout "
                f"{self.classifier.batch_layout!r}, needs 'labels'"
            )
        self.radius = nn.Parameter(torch.tensor(float(init_radius or 0.0)))
        # Saved in the state dict so a resumed run does not re-initialise R.
        self.register_buffer("radius_set", torch.tensor(init_radius is not None))

    @property
    def margin(self) -> Optional[float]:
        """The classifier's margin (``None`` if it has none)."""
        return self.classifier.margin

    def set_margin(self, margin: float) -> None:
        """Set the classifier's margin."""
        self.classifier.set_margin(margin)

    def ring_term(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``0.5 * mean_i (||x_i|| - R)^2`` (unweighted)."""
        return 0.5 * (embeddings.norm(dim=1) - self.radius).pow(2).mean()

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> LossOutput:
        """Classifier loss plus ``ring_weight`` times :meth:`ring_term`."""
        self._check_labels_batch(embeddings, labels)
        if not bool(self.radius_set):
            with torch.no_grad():
                mean_norm = embeddings.norm(dim=1).mean()
                if dist.is_available() and dist.is_initialized():
                    # Same R on every rank: DDP does not re-broadcast parameters.
                    dist.all_reduce(mean_norm)
                    mean_norm /= dist.get_world_size()
                self.radius.fill_(mean_norm)
                self.radius_set.fill_(True)
        out = self.classifier(embeddings, labels)
        loss = out.loss + self.ring_weight * self.ring_term(embeddings)
        return LossOutput(loss, out.accuracy, out.logits)
