"""AAM-softmax (ArcFace): additive angular margin, with the easy-margin option."""

from __future__ import annotations

import math

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


@LOSSES.register("aam_softmax")
class AamSoftmax(SpeakerLoss):
    """Additive angular margin softmax (Deng et al. 2019, ArcFace).

    The target logit is ``s * cos(theta_y + m)``, the others ``s * cos(theta_j)``.
    ``cos(theta + m)`` stops decreasing once ``theta + m > pi``, so there:

    * ``easy_margin=False`` (default): the target logit is ``s * (cos(theta_y) - m sin m)``
      whenever ``theta_y + m > pi`` (i.e. ``cos theta_y < cos(pi - m)``), which keeps the
      logit monotonic in the angle;
    * ``easy_margin=True``: the margin is applied only where ``cos(theta_y) > 0``; elsewhere
      the target logit is the plain ``s * cos(theta_y)``.

    With ``m = 0`` and ``s = 1`` the loss is the cross-entropy of the cosine logits. Accuracy
    is measured on the plain cosines (no margin).

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        margin: ``m`` in radians, ``0 <= m < pi/2``; scheduled through :meth:`set_margin`.
        scale: ``s`` (> 0).
        easy_margin: see above.

    Example:
        >>> head = AamSoftmax(embed_dim=4, num_classes=3, margin=0.2, scale=30.0)
        >>> head(torch.randn(2, 4), torch.tensor([0, 2])).logits.shape
        torch.Size([2, 3])
    """

    batch_layout = LABELS
    margin_min, margin_max = 0.0, math.pi / 2  # additive angular margin m (radians), < pi/2

    def __init__(
        self,
        embed_dim: int,
        num_classes: int,
        margin: float = 0.2,
        scale: float = 30.0,
        easy_margin: bool = False,
    ):
        super().__init__(embed_dim, num_classes)
        if scale <= 0:
            raise ValueError(f"{type(self).__name__}: scale must be > 0, got {scale}")
        self.scale = float(scale)
        self.easy_margin = bool(easy_margin)
        self.weight = nn.Parameter(torch.empty(self._weight_rows(), self.embed_dim))
        nn.init.xavier_normal_(self.weight)
        self.set_margin(margin)

    def _weight_rows(self) -> int:
        """Rows of the weight matrix (one per class here; sub-center AAM has K per class)."""
        return self.num_classes

    def class_cosines(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``[B, C]`` cosine between each embedding and each class weight."""
        return cosine_matrix(embeddings, self.weight)

    def set_margin(self, margin: float) -> None:
        """Set ``m`` (``0 <= m < pi/2``) and the constants derived from it."""
        if margin == math.pi / 2:
            raise ValueError(f"{type(self).__name__}: margin must be below pi/2, got {margin}")
        super().set_margin(margin)
        self._cos_m = math.cos(margin)
        self._sin_m = math.sin(margin)
        # Beyond theta = pi - m, fall back to cos(theta) - m sin(m) (see class docstring).
        self._threshold = math.cos(math.pi - margin)
        self._fallback = math.sin(math.pi - margin) * margin

    def target_logit(self, cos_target: torch.Tensor) -> torch.Tensor:
        """The margin-adjusted target cosine ``cos(theta + m)`` (before scaling).

        Args:
            cos_target: cosines of the target classes, any shape.

        Returns:
            tensor of the same shape.
        """
        sin = torch.sqrt((1.0 - cos_target * cos_target).clamp(min=1e-12))
        phi = cos_target * self._cos_m - sin * self._sin_m
        if self.easy_margin:
            return torch.where(cos_target > 0, phi, cos_target)
        return torch.where(cos_target > self._threshold, phi, cos_target - self._fallback)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> LossOutput:
        """Cross-entropy on the cosine logits with the angular margin on the target."""
        self._check_labels_batch(embeddings, labels)
        cos = self.class_cosines(embeddings)
        target = self.target_logit(cos.gather(1, labels[:, None]))
        logits = cos.scatter(1, labels[:, None], target) * self.scale
        return LossOutput(F.cross_entropy(logits, labels), top1_accuracy(cos, labels), logits)
