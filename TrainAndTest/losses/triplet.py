"""Triplet loss with cosine distance and batch-hard mining on [speakers, utterances, dim]."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from TrainAndTest.losses.base import LOSSES, SPK_UTT, LossOutput, SpeakerLoss


def cosine_distance_matrix(x: torch.Tensor) -> torch.Tensor:
    """``1 - cos`` between every pair of rows of ``x [B, D]``; ``[B, B]`` in ``[0, 2]``."""
    xn = F.normalize(x, dim=1)
    return 1.0 - xn @ xn.t()


@LOSSES.register("triplet")
class Triplet(SpeakerLoss):
    """Triplet loss ``relu(d(a, p) - d(a, n) + margin)`` with cosine distance ``1 - cos``.

    Every utterance of the ``[N, M, D]`` batch is an anchor.

    * ``mining="hard"`` (batch-hard, Hermans et al. 2017): per anchor, the positive at the
      largest distance and the negative at the smallest; loss = mean over anchors.
    * ``mining="all"``: every valid (anchor, positive, negative) triplet; loss = mean over
      them (memory grows as ``(N * M)^3``: meant for small batches).

    Accuracy: fraction of the used triplets with ``d(a, p) < d(a, n)``.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: unused (metric loss).
        margin: hinge margin (>= 0), settable with :meth:`set_margin`.
        mining: ``"hard"`` or ``"all"``.

    Example:
        >>> loss = Triplet(embed_dim=4, margin=0.3)
        >>> loss(torch.randn(3, 2, 4)).loss.shape
        torch.Size([])
    """

    batch_layout = SPK_UTT
    margin_min = 0.0  # hinge margin

    def __init__(
        self, embed_dim: int, num_classes: int = 0, margin: float = 0.3, mining: str = "hard"
    ):
        super().__init__(embed_dim, num_classes)
        if mining not in ("hard", "all"):
            raise ValueError(f"Triplet: mining must be 'hard' or 'all', got {mining!r}")
        self.mining = mining
        self.set_margin(margin)

    def hardest(self, x: torch.Tensor) -> tuple:
        """Batch-hard mining.

        Args:
            x: ``[N, M, D]``.

        Returns:
            ``(d_ap, d_an, pos_index, neg_index)``, each ``[N * M]``: the hardest positive's
            and negative's distances and their row indices in ``x.reshape(N * M, D)``.
        """
        N, M, D = x.shape
        dist = cosine_distance_matrix(x.reshape(N * M, D))
        spk = torch.arange(N, device=x.device).repeat_interleave(M)
        same = spk[:, None] == spk[None, :]
        self_mask = torch.eye(N * M, dtype=torch.bool, device=x.device)
        d_ap, pos_index = dist.masked_fill(~same | self_mask, float("-inf")).max(dim=1)
        d_an, neg_index = dist.masked_fill(same, float("inf")).min(dim=1)
        return d_ap, d_an, pos_index, neg_index

    def forward(self, x: torch.Tensor) -> LossOutput:
        """Triplet loss of the ``[N, M, D]`` batch."""
        self._check_spk_utt_batch(x, min_utts=2)
        if self.mining == "hard":
            d_ap, d_an, _, _ = self.hardest(x)
            loss = F.relu(d_ap - d_an + self._margin).mean()
            with torch.no_grad():
                acc = (d_ap < d_an).float().mean()
            return LossOutput(loss, acc)
        N, M, D = x.shape
        dist = cosine_distance_matrix(x.reshape(N * M, D))
        spk = torch.arange(N, device=x.device).repeat_interleave(M)
        same = spk[:, None] == spk[None, :]
        pos = same & ~torch.eye(N * M, dtype=torch.bool, device=x.device)
        valid = pos[:, :, None] & ~same[:, None, :]
        diff = dist[:, :, None] - dist[:, None, :]
        loss = F.relu(diff + self._margin)[valid].mean()
        with torch.no_grad():
            acc = (diff[valid] < 0).float().mean()
        return LossOutput(loss, acc)
