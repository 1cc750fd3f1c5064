"""Sub-center AAM-softmax: ArcFace with K sub-centers per class."""

from __future__ import annotations

import torch

from TrainAndTest.losses.aam_softmax import AamSoftmax
from TrainAndTest.losses.base import LOSSES, cosine_matrix


@LOSSES.register("sub_center_aam")
class SubCenterAam(AamSoftmax):
    """Sub-center ArcFace (Deng et al. 2020): each class has ``K`` weight vectors.

    The cosine to a class is the largest cosine to any of its ``K`` sub-centers; the rest is
    :class:`~TrainAndTest.losses.aam_softmax.AamSoftmax` (margin, scale, easy margin).
    Noisy utterances of a class can gather round a non-dominant sub-center instead of pulling
    the dominant one. ``weight`` is ``[C * K, D]``, class-major (rows ``c*K .. c*K+K-1`` are
    class ``c``).

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        margin: ``m`` in radians.
        scale: ``s``.
        easy_margin: as in AAM-softmax.
        sub_centers: ``K`` (>= 1; ``K = 1`` is plain AAM-softmax).

    Example:
        >>> head = SubCenterAam(embed_dim=4, num_classes=3, sub_centers=2)
        >>> tuple(head.weight.shape)
        (6, 4)
    """

    def __init__(
        self,
        embed_dim: int,
        num_classes: int,
        margin: float = 0.2,
        scale: float = 30.0,
        easy_margin: bool = False,
        sub_centers: int = 3,
    ):
        if int(sub_centers) < 1:
            raise ValueError(f"SubCenterAam: sub_centers must be >= 1, got {sub_centers}")
        self.sub_centers = int(sub_centers)
        super().__init__(embed_dim, num_classes, margin, scale, easy_margin)

    def _weight_rows(self) -> int:
        return self.num_classes * self.sub_centers

    def class_cosines(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``[B, C]``: per class, the largest cosine over its ``K`` sub-centers."""
        cos = cosine_matrix(embeddings, self.weight)
        return cos.view(cos.shape[0], self.num_classes, self.sub_centers).amax(dim=2)
