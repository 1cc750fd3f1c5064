"""Speaker-embedding architectures behind the ``MODELS`` registry.

Every model takes ``[batch, frames, feat_dim]`` and returns ``[batch, embed_dim]``; see
:mod:`TrainAndTest.models.base` for the shared API (``embed``, ``forward_features``,
``set_freq_weights``). ``MODELS.names()`` lists the registered names.

Example:
    >>> import torch
    >>> from TrainAndTest.models import MODELS
    >>> m = MODELS.build("ecapa_tdnn_c512", feat_dim=20, embed_dim=8, channels=16,
    ...                  mfa_channels=24, scale=4, se_channels=4, attention_channels=4)
    >>> m.embed(torch.randn(2, 50, 20)).shape
    torch.Size([2, 8])
"""

from TrainAndTest.models import (  # noqa: F401  (imported to register)
    aretdnn,
    dtdnn,
    ecapa2,
    ecapa_tdnn,
    etdnn,
    ftdnn,
    lstm,
    rescnn,
    resnet,
    tdnn,
    tdy_resnet,
    tdy_vgg,
)
from TrainAndTest.models.base import MODELS, SpeakerModel

__all__ = ["MODELS", "SpeakerModel"]
