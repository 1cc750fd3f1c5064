"""Expected integrated gradients (Erion et al., 2021): baselines drawn from other utterances.

Integrated gradients averaged over a baseline distribution, estimated with one sample per
draw: a reference utterance ``r`` (cut or tiled to the input's length), a point
``a ~ U(0, 1)`` on the path, and the term ``(x - r) * d S / d x' (r + a (x - r))``. The sum
of the map estimates ``S(x) - E[S(r)]``.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch

from TrainAndTest.analysis.base import ATTRIBUTIONS, AnalysisError, Attribution


def fit_length(ref: torch.Tensor, frames: int, offset: int = 0) -> torch.Tensor:
    """``ref [T', F]`` cut (from ``offset``) or tiled to ``frames`` rows.

    Example:
        >>> fit_length(torch.arange(3.0)[:, None], 5)[:, 0].tolist()
        [0.0, 1.0, 2.0, 0.0, 1.0]
    """
    reps = -(-(frames + offset) // ref.shape[0])
    return ref.repeat(reps, 1)[offset:offset + frames]


@ATTRIBUTIONS.register("expected_integrated_gradients")
class ExpectedIntegratedGradients(Attribution):
    """Expected integrated gradients over ``references``.

    Args:
        target: see :class:`Attribution`.
        references: model inputs ``[T', F]`` of other utterances (the baseline pool).
        samples: draws (reference, path point) per map.
        batch_size: draws per forward pass.
        seed: draw seed.

    Example:
        >>> from TrainAndTest.analysis.targets import Target
        >>> class Linear(Target):
        ...     def forward(self, x): return (2 * x).sum(dim=(1, 2))
        >>> eig = ExpectedIntegratedGradients(Linear(torch.nn.Identity()),
        ...                                   references=[np.zeros((4, 2), np.float32)])
        >>> eig.attribute(torch.ones(3, 2))
        tensor([[2., 2.],
                [2., 2.],
                [2., 2.]])
    """

    def __init__(self, target, references: Optional[Sequence] = None, samples: int = 64,
                 batch_size: int = 16, seed: int = 0):
        super().__init__(target)
        if not references:
            raise AnalysisError("expected_integrated_gradients needs reference utterances "
                                "(other utterances of the data dir) as baselines")
        self.references = [torch.as_tensor(np.asarray(r), dtype=torch.float32)
                           for r in references]
        if int(samples) < 1:
            raise AnalysisError(f"samples must be >= 1, got {samples}")
        self.samples, self.batch_size, self.seed = int(samples), int(batch_size), int(seed)

    def _draws(self, frames: int, bins: int):
        rng = np.random.default_rng(self.seed)
        for _ in range(self.samples):
            ref = self.references[int(rng.integers(len(self.references)))]
            if ref.shape[1] != bins:
                raise AnalysisError(f"reference has {ref.shape[1]} bins, input {bins}")
            offset = int(rng.integers(max(ref.shape[0] - frames, 0) + 1))
            yield fit_length(ref, frames, offset), float(rng.uniform())

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        draws = list(self._draws(x.shape[1], x.shape[2]))
        total = torch.zeros_like(x[0])
        for start in range(0, len(draws), self.batch_size):
            part = draws[start:start + self.batch_size]
            refs = torch.stack([r for r, _ in part])
            alphas = torch.tensor([a for _, a in part]).view(-1, 1, 1)
            points = (refs + alphas * (x - refs)).requires_grad_(True)
            with torch.enable_grad():
                grad, = torch.autograd.grad(self.target(points).sum(), points)
            total += ((x - refs) * grad).sum(dim=0)
        return total / len(draws)
