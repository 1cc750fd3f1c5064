"""Vanilla gradient saliency (Simonyan et al., 2014): ``|d target / d x|`` per bin (captum)."""

from __future__ import annotations

import torch
from captum.attr import Saliency

from TrainAndTest.analysis.base import ATTRIBUTIONS, Attribution


@ATTRIBUTIONS.register("saliency")
class GradientSaliency(Attribution):
    """Absolute input gradient of the target.

    Example:
        >>> import torch
        >>> from TrainAndTest.analysis.targets import Target
        >>> class Sum(Target):
        ...     def forward(self, x): return (x[..., 1] * 3).sum(dim=1)
        >>> GradientSaliency(Sum(torch.nn.Identity())).attribute(torch.ones(2, 3))
        tensor([[0., 3., 0.],
                [0., 3., 0.]])
    """

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        return Saliency(self.target).attribute(x.requires_grad_(True), abs=True)[0]
