"""Integrated gradients (Sundararajan et al., 2017) with a chosen baseline (captum).

``IG_i = (x_i - b_i) * mean over the path x' = b + a (x - b) of d S / d x'_i``, with
Gauss-Legendre points along the path; the sum of the map is ``S(x) - S(b)`` (completeness)
up to the quadrature error, which ``steps`` controls. Baselines:

* ``zeros``: the all-zero input (the mean of CMN-normalised features);
* ``mean``: the utterance's mean frame repeated over time;
* ``noise``: Gaussian noise with the utterance's per-bin mean and standard deviation
  (seeded, so a rerun gives the same map).
"""

from __future__ import annotations

import torch
from captum.attr import IntegratedGradients

from TrainAndTest.analysis.base import ATTRIBUTIONS, AnalysisError, Attribution

BASELINES = ("zeros", "mean", "noise")


def make_baseline(x: torch.Tensor, kind: str, seed: int = 0) -> torch.Tensor:
    """Baseline of kind ``kind`` for ``x [B, T, F]`` (see the module docstring).

    Example:
        >>> make_baseline(torch.tensor([[[1.0, 2.0], [3.0, 4.0]]]), "mean")
        tensor([[[2., 3.],
                 [2., 3.]]])
    """
    if kind == "zeros":
        return torch.zeros_like(x)
    if kind == "mean":
        return x.mean(dim=1, keepdim=True).expand_as(x).clone()
    if kind == "noise":
        g = torch.Generator().manual_seed(int(seed))
        noise = torch.randn(x.shape, generator=g, dtype=x.dtype)
        return x.mean(dim=1, keepdim=True) + noise * x.std(dim=1, keepdim=True)
    raise AnalysisError(f"unknown baseline '{kind}'; valid baselines: {', '.join(BASELINES)}")


@ATTRIBUTIONS.register("integrated_gradients")
class IntegratedGradientsMethod(Attribution):
    """Integrated gradients from ``baseline`` in ``steps`` points.

    Args:
        target: see :class:`Attribution`.
        baseline: ``zeros``, ``mean`` or ``noise``.
        steps: quadrature points along the path.
        batch_size: path points per forward pass (memory bound).
        seed: noise baseline seed.

    Example:
        >>> from TrainAndTest.analysis.targets import Target
        >>> class Square(Target):
        ...     def forward(self, x): return (x ** 2).sum(dim=(1, 2))
        >>> ig = IntegratedGradientsMethod(Square(torch.nn.Identity()), steps=20)
        >>> ig.attribute(torch.tensor([[1.0, 2.0]]))
        tensor([[1., 4.]])
    """

    def __init__(self, target, baseline: str = "zeros", steps: int = 50, batch_size: int = 16,
                 seed: int = 0):
        super().__init__(target)
        if baseline not in BASELINES:
            raise AnalysisError(
                f"unknown baseline '{baseline}'; valid baselines: {', '.join(BASELINES)}")
        if int(steps) < 2:
            raise AnalysisError(f"steps must be >= 2, got {steps}")
        self.baseline, self.steps = baseline, int(steps)
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.last_delta = None

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        base = make_baseline(x, self.baseline, self.seed)
        attr, delta = IntegratedGradients(self.target).attribute(
            x, baselines=base, n_steps=self.steps, internal_batch_size=self.batch_size,
            return_convergence_delta=True)
        self.last_delta = float(delta.sum())
        return attr[0]
