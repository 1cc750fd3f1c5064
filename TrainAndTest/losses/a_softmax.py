"""A-softmax (SphereFace): multiplicative angular margin with lambda annealing."""

from __future__ import annotations

import math
from typing import Optional

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


def sphereface_psi(cos: torch.Tensor, margin: float) -> torch.Tensor:
    """SphereFace's monotonic extension of ``cos(m * theta)`` over ``theta in [0, pi]``.

    ``psi(theta) = (-1)^k cos(m theta) - 2k`` with ``k = floor(m theta / pi)``; it equals
    ``cos(m theta)`` for ``theta <= pi / m``, is continuous, and decreases monotonically
    from 1 at ``theta = 0`` (to ``1 - 2m`` at ``theta = pi`` for integer ``m``).

    Args:
        cos: cosines of the target angles, any shape (clamped into ``(-1, 1)`` so the
            gradient of ``acos`` stays finite).
        margin: ``m >= 1`` (not necessarily an integer).

    Returns:
        tensor of the same shape.

    Example:
        >>> # theta = 2pi/3, m = 2: k = 1, psi = -cos(4pi/3) - 2
        >>> round(float(sphereface_psi(torch.tensor(-0.5), 2.0)), 4)
        -1.5
    """
    theta = torch.acos(cos.clamp(-1.0 + 1e-7, 1.0 - 1e-7))
    k = torch.floor(margin * theta / math.pi).detach()
    sign = 1.0 - 2.0 * torch.remainder(k, 2.0)
    return sign * torch.cos(margin * theta) - 2.0 * k


@LOSSES.register("a_softmax")
class ASoftmax(SpeakerLoss):
    """Angular softmax (Liu et al. 2017, SphereFace), with its lambda annealing.

    Class weights are normalised; the embedding is not (its norm scales the logits) unless
    ``scale`` is given, in which case embeddings are normalised and multiplied by ``scale``.
    Non-target logits are ``|x| cos(theta_j)``; the target logit is
    ``|x| (lambda cos(theta_y) + psi(theta_y)) / (1 + lambda)`` with ``psi`` from
    :func:`sphereface_psi`. ``lambda`` anneals from a large value (plain softmax) towards
    ``lambda_min`` as ``max(lambda_min, lambda_base * (1 + gamma * step) ** -power)``;
    ``step`` counts training-mode forward calls and is saved in the state dict. In eval mode
    ``lambda`` stays at its current value. Accuracy is measured on the plain cosines.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers ``C``.
        margin: multiplicative margin ``m >= 1`` (``1``: no margin); :meth:`set_margin`.
        scale: ``None`` for the original feature-norm scaling, else a fixed scale ``s``.
        lambda_base, lambda_min, gamma, power: the annealing schedule above (defaults are
            SphereFace's published ones; ``lambda_base = lambda_min = 0`` disables it).

    Example:
        >>> head = ASoftmax(embed_dim=4, num_classes=3, margin=4)
        >>> head(torch.randn(2, 4), torch.tensor([0, 2])).logits.shape
        torch.Size([2, 3])
    """

    batch_layout = LABELS
    margin_min = 1.0  # multiplicative angular margin m; a schedule starts at 1, not 0

    def __init__(
        self,
        embed_dim: int,
        num_classes: int,
        margin: float = 4.0,
        scale: Optional[float] = None,
        lambda_base: float = 1000.0,
        lambda_min: float = 5.0,
        gamma: float = 0.12,
        power: float = 1.0,
    ):
        super().__init__(embed_dim, num_classes)
        if scale is not None and scale <= 0:
            raise ValueError(f"ASoftmax: scale must be > 0 or None, got {scale}")
        if lambda_base < 0 or lambda_min < 0 or gamma < 0:
            raise ValueError("ASoftmax: lambda_base, lambda_min and gamma must be >= 0")
        self.scale = None if scale is None else float(scale)
        self.lambda_base = float(lambda_base)
        self.lambda_min = float(lambda_min)
        self.gamma = float(gamma)
        self.power = float(power)
        self.weight = nn.Parameter(torch.empty(self.num_classes, self.embed_dim))
        nn.init.xavier_normal_(self.weight)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self.set_margin(margin)

    @property
    def current_lambda(self) -> float:
        """``lambda`` at the current step."""
        decayed = self.lambda_base * (1.0 + self.gamma * float(self.step)) ** (-self.power)
        return max(self.lambda_min, decayed)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> LossOutput:
        """Cross-entropy with the SphereFace target logit; advances ``step`` when training."""
        self._check_labels_batch(embeddings, labels)
        cos = cosine_matrix(embeddings, self.weight)
        if self.scale is None:
            norm = embeddings.norm(dim=1, keepdim=True)
        else:
            norm = torch.full_like(cos[:, :1], self.scale)
        lam = self.current_lambda
        if self.training:
            self.step += 1
        cos_y = cos.gather(1, labels[:, None])
        target = (lam * cos_y + sphereface_psi(cos_y, self._margin)) / (1.0 + lam)
        logits = cos.scatter(1, labels[:, None], target) * norm
        return LossOutput(F.cross_entropy(logits, labels), top1_accuracy(cos, labels), logits)
