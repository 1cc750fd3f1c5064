"""What an attribution explains: a scalar per input, as a module ``target(x [B, T, F]) -> [B]``.

* :class:`SpeakerTarget`: one training speaker's logit from the loss head (the cosine to
  the speaker's prototype times the scale for margin heads; the linear logit for
  ``softmax``), without the margin (the margin exists only in training).
* :class:`VerificationTarget`: the cosine score between the input's embedding and a fixed
  enrolment embedding, so test speakers (unknown to the head) can be analysed too.

Example:
    >>> import torch
    >>> from TrainAndTest.models import MODELS
    >>> from TrainAndTest.losses import LOSSES
    >>> m = MODELS.build("xvector_tdnn", feat_dim=8, embed_dim=4, channels=8, stats_channels=8)
    >>> head = LOSSES.build("aam_softmax", embed_dim=4, num_classes=3)
    >>> SpeakerTarget(m.eval(), head, 2)(torch.randn(5, 20, 8)).shape
    torch.Size([5])
    >>> t = VerificationTarget(m, torch.ones(4))
    >>> bool(t(torch.randn(1, 20, 8)).abs() <= 1)
    True
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from TrainAndTest.analysis.base import AnalysisError

TARGETS = ("speaker", "verification")


def class_scores(head: nn.Module, embeddings: torch.Tensor) -> torch.Tensor:
    """Margin-free class logits ``[B, C]`` of a classification head for ``embeddings [B, D]``.

    Raises AnalysisError for heads without class scores (metric losses: GE2E, triplet, ...).
    """
    if hasattr(head, "class_cosines"):
        return head.class_cosines(embeddings) * float(getattr(head, "scale", 1.0) or 1.0)
    if isinstance(getattr(head, "fc", None), nn.Linear):
        return head.fc(embeddings)
    weight = getattr(head, "weight", None)
    if isinstance(weight, torch.Tensor) and weight.dim() == 2:
        cos = F.linear(F.normalize(embeddings, dim=1), F.normalize(weight, dim=1))
        return cos * float(getattr(head, "scale", None) or 1.0)
    raise AnalysisError(
        f"the loss head {type(head).__name__} has no class scores (a metric loss); "
        f"use --target verification"
    )


def prototypes(head: nn.Module) -> torch.Tensor:
    """The class prototype rows ``[rows, D]`` of a head (sub-center heads: every sub-center)."""
    if isinstance(getattr(head, "fc", None), nn.Linear):
        return head.fc.weight.detach()
    weight = getattr(head, "weight", None)
    if isinstance(weight, torch.Tensor) and weight.dim() == 2:
        return weight.detach()
    raise AnalysisError(f"the loss head {type(head).__name__} has no class prototypes")


class Target(nn.Module):
    """A scalar per input of ``model``; subclasses implement :meth:`forward`."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model


class SpeakerTarget(Target):
    """Logit of training class ``index`` (see the module docstring).

    Args:
        model: the embedding network.
        head: the trained loss head.
        index: class index in ``[0, num_classes)``.
    """

    def __init__(self, model: nn.Module, head: nn.Module, index: int):
        super().__init__(model)
        self.head = head
        classes = int(getattr(head, "num_classes", 0) or 0)
        if classes and not 0 <= int(index) < classes:
            raise AnalysisError(f"class index {index} out of range [0, {classes})")
        self.index = int(index)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logit ``[B]`` of the class for ``x [B, T, F]``."""
        return class_scores(self.head, self.model(x).float())[:, self.index]


class VerificationTarget(Target):
    """Cosine score ``[B]`` between the embedding of the input and ``enrol`` ``[D]``."""

    def __init__(self, model: nn.Module, enrol: torch.Tensor):
        super().__init__(model)
        enrol = torch.as_tensor(enrol, dtype=torch.float32).flatten()
        if not torch.isfinite(enrol).all() or float(enrol.norm()) == 0:
            raise AnalysisError("the enrolment embedding must be finite and non-zero")
        self.register_buffer("enrol", F.normalize(enrol, dim=0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Cosine ``[B]`` for ``x [B, T, F]``."""
        return F.normalize(self.model(x).float(), dim=1) @ self.enrol


def demo_target(model: str = "xvector_tdnn", feat_dim: int = 8) -> VerificationTarget:
    """A verification target on a tiny untrained model (``xvector_tdnn`` or ``ecapa_tdnn``),
    for examples and quick checks of a method; embeddings have 4 dimensions."""
    from TrainAndTest.models import MODELS

    conf = ({"channels": 8, "mfa_channels": 8, "scale": 4, "se_channels": 4,
             "attention_channels": 4} if model == "ecapa_tdnn"
            else {"channels": 8, "stats_channels": 8})
    net = MODELS.build(model, feat_dim=feat_dim, embed_dim=4, **conf).eval()
    return VerificationTarget(net, torch.ones(4))


def predicted_class(model: nn.Module, head: nn.Module, x: torch.Tensor) -> int:
    """The class of the largest logit for one input ``x [1, T, F]`` (for test speakers)."""
    with torch.no_grad():
        return int(class_scores(head, model(x).float()).argmax(dim=1)[0])


def check_target(name: str, head: Optional[nn.Module]) -> None:
    """AnalysisError unless ``name`` is a known target usable with ``head``."""
    if name not in TARGETS:
        raise AnalysisError(f"unknown target '{name}'; valid targets: {', '.join(TARGETS)}")
    if name == "speaker":
        if head is None:
            raise AnalysisError("the model file has no loss head; use --target verification")
        class_scores(head, torch.zeros(1, int(getattr(head, "embed_dim", 1))))
