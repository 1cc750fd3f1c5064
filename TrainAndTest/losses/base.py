"""Base class, output type and registry shared by every speaker loss / classification head.

One interface for every loss, so that one trainer drives them all:

* ``forward(...)`` always returns a :class:`LossOutput` (``loss``, ``accuracy``, ``logits``).
* The class attribute ``batch_layout`` tells the trainer which batch to build and how to call
  ``forward``:

  ``"labels"`` (classification heads: softmax, A/AM/AAM-softmax, sub-center AAM, center and
  ring losses)
      ``forward(embeddings [B, D], labels [B]) -> LossOutput``; labels are class indices in
      ``[0, num_classes)``. Any sampler works.
  ``"spk_utt"`` (metric losses: GE2E, triplet, contrastive, prototypical, angular
  prototypical)
      ``forward(x [N, M, D]) -> LossOutput``: ``N`` speakers, ``M`` utterances each, all
      speakers distinct; row ``j`` is one speaker. No labels are needed.
  ``"spk_utt_labels"`` (softmax + angular prototypical)
      ``forward(x [N, M, D], labels [N]) -> LossOutput``: the ``[N, M, D]`` batch of
      ``"spk_utt"`` plus the class index of each row's speaker; the classification term sees
      all ``N * M`` embeddings, each with its row's label.

  :meth:`SpeakerLoss.forward_flat` hides the difference: it takes the model's flat output
  ``[N * M, D]`` (speaker-major order) and per-utterance labels, and reshapes for the layout.

* Every constructor takes ``embed_dim`` and ``num_classes`` first (metric losses accept and
  ignore ``num_classes``), then its own hyperparameters, so the trainer builds any loss with
  ``LOSSES.build(name, embed_dim=D, num_classes=C, **loss_conf)``.
* Losses with a margin expose ``margin`` (a float) and ``set_margin(m)``; for the others
  ``margin`` is ``None`` and ``set_margin`` raises. See ``margin_scheduler.py``.

Example:
    >>> import torch
    >>> from TrainAndTest.losses import LOSSES
    >>> head = LOSSES.build("aam_softmax", embed_dim=8, num_classes=5, margin=0.2, scale=30)
    >>> head.batch_layout
    'labels'
    >>> out = head(torch.randn(4, 8), torch.tensor([0, 1, 2, 3]))
    >>> out.loss.shape, out.logits.shape
    (torch.Size([]), torch.Size([4, 5]))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from Process_Data.registry import Registry

LABELS = "labels"
SPK_UTT = "spk_utt"
SPK_UTT_LABELS = "spk_utt_labels"
BATCH_LAYOUTS = (LABELS, SPK_UTT, SPK_UTT_LABELS)


@dataclass
class LossOutput:
    """What every loss returns.

    Attributes:
        loss: scalar tensor to back-propagate.
        accuracy: detached scalar tensor in ``[0, 1]`` (top-1 accuracy of the task the loss
            solves: speaker classification, or query-to-prototype matching), or ``None``
            where no accuracy is meaningful (contrastive).
        logits: the ``[rows, classes]`` scores fed to the cross-entropy (margins applied), or
            ``None`` for losses without logits (triplet, contrastive, center/ring terms are in
            ``loss`` only).
    """

    loss: torch.Tensor
    accuracy: Optional[torch.Tensor] = None
    logits: Optional[torch.Tensor] = None


def run_length(labels: torch.Tensor) -> Optional[int]:
    """The common length of the runs of equal labels of a flat batch (a speaker-major
    batch of that many utterances a speaker), or None when the runs differ in length.

    Example:
        >>> run_length(torch.tensor([3, 3, 1, 1])), run_length(torch.tensor([3, 3, 1]))
        (2, None)
    """
    counts = torch.unique_consecutive(labels, return_counts=True)[1]
    return int(counts[0]) if bool((counts == counts[0]).all()) else None


def top1_accuracy(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fraction of rows of ``scores [R, C]`` whose arg-max equals ``targets [R]`` (detached).

    Example:
        >>> top1_accuracy(torch.tensor([[1.0, 2.0], [3.0, 0.0]]), torch.tensor([1, 1]))
        tensor(0.5000)
    """
    with torch.no_grad():
        return (scores.argmax(dim=1) == targets).float().mean()


def cosine_matrix(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Cosine similarity between every row of ``x [B, D]`` and every row of ``w [C, D]``.

    Returns:
        ``[B, C]`` tensor in ``[-1, 1]``.
    """
    return F.linear(F.normalize(x, dim=1), F.normalize(w, dim=1))


class SpeakerLoss(nn.Module):
    """Base class of every loss / classification head (see the module docstring).

    Subclasses set ``batch_layout`` and implement ``forward``. ``margin`` is ``None`` unless
    the subclass has a margin: it then sets ``margin_min`` (and ``margin_max``, inclusive
    bounds) and calls :meth:`set_margin` in its constructor; a subclass with constants derived
    from the margin extends :meth:`set_margin`.

    Args:
        embed_dim: embedding dimension ``D``.
        num_classes: number of training speakers (ignored by metric losses).
    """

    batch_layout: str = LABELS
    margin_min: Optional[float] = None
    margin_max: float = math.inf

    def __init__(self, embed_dim: int, num_classes: int):
        super().__init__()
        if self.batch_layout not in BATCH_LAYOUTS:
            raise ValueError(
                f"{type(self).__name__}.batch_layout={self.batch_layout!r}; "
                f"valid: {', '.join(BATCH_LAYOUTS)}"
            )
        if int(embed_dim) < 1:
            raise ValueError(f"{type(self).__name__}: embed_dim must be >= 1, got {embed_dim}")
        if self.batch_layout != SPK_UTT and int(num_classes) < 1:
            raise ValueError(
                f"{type(self).__name__}: num_classes must be >= 1, got {num_classes}"
            )
        self.embed_dim = int(embed_dim)
        self.num_classes = int(num_classes)

    @property
    def needs_labels(self) -> bool:
        """True when ``forward`` takes labels (layouts ``labels`` and ``spk_utt_labels``)."""
        return self.batch_layout != SPK_UTT

    @property
    def margin(self) -> Optional[float]:
        """The current margin, or ``None`` for losses without one."""
        return None if self.margin_min is None else self._margin

    def set_margin(self, margin: float) -> None:
        """Set the margin (for scheduling), checked against ``[margin_min, margin_max]``.

        Raises:
            TypeError: the loss has no margin.
            ValueError: the margin is out of range (the message gives the range).
        """
        if self.margin_min is None:
            raise TypeError(f"{type(self).__name__} has no margin to set")
        if not self.margin_min <= margin <= self.margin_max:
            bound = (f">= {self.margin_min:g}" if self.margin_max == math.inf
                     else f"in [{self.margin_min:g}, {self.margin_max:g}]")
            raise ValueError(f"{type(self).__name__}: margin must be {bound}, got {margin}")
        self._margin = float(margin)

    def forward_flat(
        self,
        embeddings: torch.Tensor,
        labels: Optional[torch.Tensor] = None,
        utts_per_speaker: Optional[int] = None,
    ) -> LossOutput:
        """Call ``forward`` with the model's flat output, reshaped for ``batch_layout``.

        The loss runs in float32 with autocast disabled (margins on fp16 cosines are
        imprecise), whatever the caller's AMP setting.

        Args:
            embeddings: ``[B, D]``; for the ``spk_utt*`` layouts ``B = N * M`` in
                speaker-major order (utterances ``0..M-1`` of speaker 0 first).
            labels: ``[B]`` class indices, one per utterance (required unless the layout is
                ``spk_utt``, where they are only checked when given).
            utts_per_speaker: ``M`` for the ``spk_utt*`` layouts; ``None`` infers it from
                ``labels`` (runs of equal labels, all of the same length).

        Returns:
            the :class:`LossOutput` of ``forward``.

        Example:
            >>> from TrainAndTest.losses import LOSSES
            >>> loss = LOSSES.build("ge2e", embed_dim=4, num_classes=0)
            >>> emb, lab = torch.randn(6, 4), torch.tensor([0, 0, 0, 1, 1, 1])
            >>> loss.forward_flat(emb, lab, utts_per_speaker=3).loss.shape
            torch.Size([])
        """
        if embeddings.dim() != 2:
            raise ValueError(
                f"{type(self).__name__}.forward_flat: embeddings must be [B, D], "
                f"got {tuple(embeddings.shape)}"
            )
        if labels is not None and labels.shape != embeddings.shape[:1]:
            raise ValueError(
                f"{type(self).__name__}.forward_flat: labels {tuple(labels.shape)} do not "
                f"match embeddings {tuple(embeddings.shape)}"
            )
        with torch.autocast(device_type=embeddings.device.type, enabled=False):
            return self._forward_flat(embeddings.float(), labels, utts_per_speaker)

    def _forward_flat(
        self,
        embeddings: torch.Tensor,
        labels: Optional[torch.Tensor],
        utts_per_speaker: Optional[int],
    ) -> LossOutput:
        if self.batch_layout == LABELS:
            if labels is None:
                raise ValueError(f"{type(self).__name__} needs labels")
            return self(embeddings, labels)
        if utts_per_speaker is None and labels is not None:
            utts_per_speaker = run_length(labels)
        if utts_per_speaker is None or utts_per_speaker < 1:
            raise ValueError(
                f"{type(self).__name__} (layout {self.batch_layout}) needs utts_per_speaker, "
                f"or labels in runs of equal length (a speaker-major batch)"
            )
        B, D = embeddings.shape
        if B % utts_per_speaker:
            raise ValueError(
                f"{type(self).__name__}: batch {B} is not a multiple of "
                f"utts_per_speaker={utts_per_speaker}"
            )
        x = embeddings.reshape(B // utts_per_speaker, utts_per_speaker, D)
        spk_labels = None
        if labels is not None:
            grid = labels.reshape(B // utts_per_speaker, utts_per_speaker)
            if not bool((grid == grid[:, :1]).all()):
                raise ValueError(
                    f"{type(self).__name__}: labels are not constant within each group of "
                    f"{utts_per_speaker} utterances (batch must be speaker-major)"
                )
            spk_labels = grid[:, 0]
            if torch.unique(spk_labels).numel() != spk_labels.numel():
                raise ValueError(
                    f"{type(self).__name__}: a speaker appears in two rows of the batch"
                )
        if self.batch_layout == SPK_UTT:
            return self(x)
        if spk_labels is None:
            raise ValueError(f"{type(self).__name__} needs labels")
        return self(x, spk_labels)

    # Shape checks shared by subclasses; they name the class and the offending shape.
    def _check_labels_batch(self, embeddings: torch.Tensor, labels: torch.Tensor) -> None:
        name = type(self).__name__
        if embeddings.dim() != 2 or embeddings.shape[1] != self.embed_dim:
            raise ValueError(
                f"{name}: embeddings must be [B, {self.embed_dim}], got {tuple(embeddings.shape)}"
            )
        if labels.shape != embeddings.shape[:1]:
            raise ValueError(
                f"{name}: labels must be [{embeddings.shape[0]}], got {tuple(labels.shape)}"
            )

    def _check_spk_utt_batch(self, x: torch.Tensor, min_utts: int = 1) -> None:
        name = type(self).__name__
        if x.dim() != 3 or x.shape[2] != self.embed_dim:
            raise ValueError(
                f"{name}: input must be [speakers, utterances, {self.embed_dim}], "
                f"got {tuple(x.shape)}"
            )
        if x.shape[1] < min_utts:
            raise ValueError(
                f"{name}: needs at least {min_utts} utterances per speaker, got {x.shape[1]}"
            )
        if x.shape[0] < 2:
            raise ValueError(f"{name}: needs at least 2 speakers per batch, got {x.shape[0]}")


LOSSES = Registry("loss", SpeakerLoss)
"""Registry of every loss: ``LOSSES.build(name, embed_dim=..., num_classes=..., **conf)``."""
