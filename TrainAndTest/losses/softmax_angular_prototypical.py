"""Softmax + angular prototypical: a classification head and a metric loss on one batch."""

from __future__ import annotations

from typing import Optional

import torch

from TrainAndTest.losses.angular_prototypical import AngularPrototypical
from TrainAndTest.losses.base import LABELS, LOSSES, SPK_UTT_LABELS, LossOutput, SpeakerLoss


@LOSSES.register("softmax_angular_prototypical")
class SoftmaxAngularPrototypical(SpeakerLoss):
    """Classification loss plus angular prototypical loss (Chung et al. 2020).

    Takes both inputs: ``forward(x [N, M, D], labels [N])``, where ``labels[j]`` is the
    training-class index of row ``j``'s speaker. The classification head sees all ``N * M``
    embeddings (``x.reshape(N * M, D)``, each with its row's label); the angular prototypical
    term sees ``x`` as a ``[N, M, D]`` batch.
    ``loss = classifier_weight * classifier_loss + angular_prototypical_loss``.
    ``accuracy`` and ``logits`` are the classifier's (speaker classification).

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        classifier: registry name of the classification head (default plain softmax, as in
            the paper; any ``batch_layout == "labels"`` loss works, e.g. ``aam_softmax``).
        classifier_conf: keyword arguments of that head.
        classifier_weight: weight of the classification term.
        init_w, init_b: initial scale and bias of the angular prototypical term.

    Example:
        >>> loss = SoftmaxAngularPrototypical(embed_dim=4, num_classes=5)
        >>> out = loss(torch.randn(3, 2, 4), torch.tensor([4, 0, 2]))
        >>> out.logits.shape
        torch.Size([6, 5])
    """

    batch_layout = SPK_UTT_LABELS

    def __init__(
        self,
        embed_dim: int,
        num_classes: int,
        classifier: str = "softmax",
        classifier_conf: Optional[dict] = None,
        classifier_weight: float = 1.0,
        init_w: float = 10.0,
        init_b: float = -5.0,
    ):
        super().__init__(embed_dim, num_classes)
        if classifier_weight < 0:
            raise ValueError(
                f"SoftmaxAngularPrototypical: classifier_weight must be >= 0, "
                f"got {classifier_weight}"
            )
        self.classifier_weight = float(classifier_weight)
        self.classifier = LOSSES.build(
            classifier, embed_dim=self.embed_dim, num_classes=self.num_classes,
            **(classifier_conf or {}),
        )
        if self.classifier.batch_layout != LABELS:
            raise ValueError(
                f"SoftmaxAngularPrototypical: classifier '{classifier}' has batch_layout "
                f"{self.classifier.batch_layout!r}, needs 'labels'"
            )
        self.angular_prototypical = AngularPrototypical(
            self.embed_dim, self.num_classes, init_w=init_w, init_b=init_b
        )

    @property
    def margin(self) -> Optional[float]:
        """The classifier's margin (``None`` if it has none)."""
        return self.classifier.margin

    def set_margin(self, margin: float) -> None:
        """Set the classifier's margin."""
        self.classifier.set_margin(margin)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> LossOutput:
        """Weighted classification loss on all utterances plus the AP loss on ``x``."""
        self._check_spk_utt_batch(x, min_utts=2)
        N, M, D = x.shape
        if labels.shape != (N,):
            raise ValueError(
                f"SoftmaxAngularPrototypical: labels must be [{N}] (one per speaker row), "
                f"got {tuple(labels.shape)}"
            )
        cls = self.classifier(x.reshape(N * M, D), labels.repeat_interleave(M))
        ap = self.angular_prototypical(x)
        loss = self.classifier_weight * cls.loss + ap.loss
        return LossOutput(loss, cls.accuracy, cls.logits)
