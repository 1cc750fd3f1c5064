"""Prototypical loss: last utterance of each speaker against the mean of the others."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from TrainAndTest.losses.base import LOSSES, SPK_UTT, LossOutput, SpeakerLoss, top1_accuracy


def split_query_support(x: torch.Tensor) -> tuple:
    """Split ``[N, M, D]`` into queries (last utterance, ``[N, D]``) and prototypes.

    Prototypes are the mean of each speaker's first ``M - 1`` utterances, ``[N, D]``.
    """
    return x[:, -1], x[:, :-1].mean(dim=1)


@LOSSES.register("prototypical")
class Prototypical(SpeakerLoss):
    """Prototypical networks loss (Snell et al. 2017) as used for speaker embeddings.

    For each speaker ``j`` the query is its last utterance and the prototypes ``p_k`` are
    the means of each speaker's other ``M - 1`` utterances. Logits are
    ``-||q_j - p_k||^2``; the loss is the cross-entropy with target ``j`` (mean over
    speakers). Accuracy: fraction of queries nearest to their own prototype.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: unused (metric loss).

    ``forward(x [N, M, D]) -> LossOutput`` with ``N >= 2``, ``M >= 2``; ``logits [N, N]``.

    Example:
        >>> loss = Prototypical(embed_dim=4)
        >>> loss(torch.randn(3, 2, 4)).logits.shape
        torch.Size([3, 3])
    """

    batch_layout = SPK_UTT

    def __init__(self, embed_dim: int, num_classes: int = 0):
        super().__init__(embed_dim, num_classes)

    def forward(self, x: torch.Tensor) -> LossOutput:
        """Prototypical loss of the ``[N, M, D]`` batch."""
        self._check_spk_utt_batch(x, min_utts=2)
        query, proto = split_query_support(x)
        logits = -(query[:, None, :] - proto[None, :, :]).pow(2).sum(dim=-1)
        targets = torch.arange(x.shape[0], device=x.device)
        return LossOutput(
            F.cross_entropy(logits, targets), top1_accuracy(logits, targets), logits
        )
