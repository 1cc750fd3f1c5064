"""GE2E: generalised end-to-end loss on [speakers, utterances, dim] batches."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from TrainAndTest.losses.base import LOSSES, SPK_UTT, LossOutput, SpeakerLoss, top1_accuracy


def ge2e_similarity(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """GE2E similarity matrix ``S[j, i, k] = w * cos(e_ji, c_k) + b``.

    ``c_k`` is the mean of speaker ``k``'s embeddings, except that for ``k == j`` the
    utterance itself is left out: ``c_j^(-i) = (sum_m e_jm - e_ji) / (M - 1)``.

    Args:
        x: ``[N, M, D]`` embeddings, ``M >= 2``.
        w: scalar weight (already made positive by the caller).
        b: scalar bias.

    Returns:
        ``[N, M, N]`` similarities.
    """
    N, M, _ = x.shape
    total = x.sum(dim=1, keepdim=True)
    centroids = F.normalize(total.squeeze(1) / M, dim=-1)
    centroids_excl = F.normalize((total - x) / (M - 1), dim=-1)
    xn = F.normalize(x, dim=-1)
    cos = torch.einsum("jid,kd->jik", xn, centroids)
    cos_self = (xn * centroids_excl).sum(dim=-1)
    own = torch.eye(N, dtype=torch.bool, device=x.device)[:, None, :]
    cos = torch.where(own, cos_self[:, :, None], cos)
    return w * cos + b


@LOSSES.register("ge2e")
class Ge2e(SpeakerLoss):
    """Generalised end-to-end loss (Wan et al. 2018).

    For each utterance ``e_ji`` (speaker ``j``, utterance ``i``) the similarity to every
    speaker centroid is ``S[j, i, k]`` (:func:`ge2e_similarity`, learnt ``w > 0`` and ``b``).

    * ``variant="softmax"``: ``L_ji = -S[j,i,j] + log sum_k exp(S[j,i,k])``;
    * ``variant="contrast"``: ``L_ji = 1 - sigmoid(S[j,i,j]) + max_{k != j} sigmoid(S[j,i,k])``.

    The loss is the mean of ``L_ji`` over the ``N * M`` utterances (the paper sums; the mean
    keeps the scale independent of the batch size). Accuracy: fraction of utterances whose
    most similar centroid is their own speaker's.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: unused (metric loss).
        init_w, init_b: initial ``w`` and ``b`` (the paper's 10 and -5).
        variant: ``"softmax"`` or ``"contrast"``.

    ``forward(x [N, M, D]) -> LossOutput`` with ``N >= 2``, ``M >= 2``; ``logits`` are the
    ``[N * M, N]`` similarities (targets ``j`` repeated ``M`` times).

    Example:
        >>> loss = Ge2e(embed_dim=4, num_classes=0)
        >>> loss(torch.randn(3, 2, 4)).logits.shape
        torch.Size([6, 3])
    """

    batch_layout = SPK_UTT

    def __init__(
        self,
        embed_dim: int,
        num_classes: int = 0,
        init_w: float = 10.0,
        init_b: float = -5.0,
        variant: str = "softmax",
    ):
        super().__init__(embed_dim, num_classes)
        if variant not in ("softmax", "contrast"):
            raise ValueError(f"Ge2e: variant must be 'softmax' or 'contrast', got {variant!r}")
        self.variant = variant
        self.w = nn.Parameter(torch.tensor(float(init_w)))
        self.b = nn.Parameter(torch.tensor(float(init_b)))

    def forward(self, x: torch.Tensor) -> LossOutput:
        """GE2E loss of the ``[N, M, D]`` batch."""
        self._check_spk_utt_batch(x, min_utts=2)
        N, M, _ = x.shape
        # w must stay positive so that a larger cosine means a larger similarity.
        sim = ge2e_similarity(x, self.w.clamp(min=1e-6), self.b).reshape(N * M, N)
        targets = torch.arange(N, device=x.device).repeat_interleave(M)
        if self.variant == "softmax":
            loss = F.cross_entropy(sim, targets)
        else:
            sig = torch.sigmoid(sim)
            own = F.one_hot(targets, N).bool()
            pos = sig[own]
            neg = sig.masked_fill(own, float("-inf")).amax(dim=1)
            loss = (1.0 - pos + neg).mean()
        return LossOutput(loss, top1_accuracy(sim, targets), sim)
