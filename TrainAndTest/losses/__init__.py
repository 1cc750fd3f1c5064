"""Speaker losses and classification heads behind one registry, ``LOSSES``.

Importing the package registers every loss. Build one from a config with
``LOSSES.build(name, embed_dim=D, num_classes=C, **loss_conf)``; see ``base.py`` for the
interface (``batch_layout``, :class:`LossOutput`, ``forward_flat``) and
``margin_scheduler.py`` for margin warm-up.

Example:
    >>> from TrainAndTest.losses import LOSSES
    >>> "aam_softmax" in LOSSES and "ge2e" in LOSSES
    True
"""

from TrainAndTest.losses import (  # noqa: F401  (imported to register the losses)
    a_softmax,
    aam_softmax,
    am_softmax,
    angular_prototypical,
    center_loss,
    contrastive,
    ge2e,
    prototypical,
    ring_loss,
    softmax,
    softmax_angular_prototypical,
    sub_center_aam,
    triplet,
)
from TrainAndTest.losses.base import (
    BATCH_LAYOUTS,
    LABELS,
    LOSSES,
    SPK_UTT,
    SPK_UTT_LABELS,
    LossOutput,
    SpeakerLoss,
)
from TrainAndTest.losses.margin_scheduler import MarginScheduler

__all__ = [
    "BATCH_LAYOUTS",
    "LABELS",
    "LOSSES",
    "SPK_UTT",
    "SPK_UTT_LABELS",
    "LossOutput",
    "MarginScheduler",
    "SpeakerLoss",
]
