"""Contrastive (pairwise) loss on [speakers, utterances, dim] batches."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from TrainAndTest.losses.base import LOSSES, SPK_UTT, LossOutput, SpeakerLoss


@LOSSES.register("contrastive")
class Contrastive(SpeakerLoss):
    """Contrastive loss (Hadsell et al. 2006) over every pair of the batch.

    With ``d`` the Euclidean distance between L2-normalised embeddings (in ``[0, 2]``;
    ``d^2 = 2 - 2 cos``):
    ``loss = 0.5 * mean_{same-speaker pairs} d^2 + 0.5 * mean_{other pairs} relu(margin - d)^2``.
    Positive and negative pairs are averaged separately because a batch holds ``N - 1``
    times more negative than positive pairs. No accuracy (``None``): there is no decision
    threshold to score.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: unused (metric loss).
        margin: distance beyond which negative pairs cost nothing (``0 < margin <= 2``),
            settable with :meth:`set_margin`.

    Example:
        >>> loss = Contrastive(embed_dim=4, margin=1.0)
        >>> loss(torch.randn(3, 2, 4)).accuracy is None
        True
    """

    batch_layout = SPK_UTT
    margin_min, margin_max = 0.0, 2.0  # negative-pair margin (cosine distance)

    def __init__(self, embed_dim: int, num_classes: int = 0, margin: float = 1.0):
        super().__init__(embed_dim, num_classes)
        self.set_margin(margin)

    def forward(self, x: torch.Tensor) -> LossOutput:
        """Contrastive loss of the ``[N, M, D]`` batch (``M >= 2``)."""
        self._check_spk_utt_batch(x, min_utts=2)
        N, M, D = x.shape
        xn = F.normalize(x.reshape(N * M, D), dim=1)
        # d^2 from the Gram matrix; clamp keeps sqrt's gradient finite on identical pairs.
        sq = (2.0 - 2.0 * xn @ xn.t()).clamp(min=1e-12)
        spk = torch.arange(N, device=x.device).repeat_interleave(M)
        same = spk[:, None] == spk[None, :]
        upper = torch.ones_like(same).triu(diagonal=1)
        pos = same & upper
        neg = ~same & upper
        loss = 0.5 * sq[pos].mean() + 0.5 * F.relu(self._margin - sq[neg].sqrt()).pow(2).mean()
        return LossOutput(loss)
