"""Utterance-level pooling layers behind the ``POOLING`` registry.

Names: ``stats`` (mean+std), ``sap`` (self-attentive), ``asp`` (attentive statistics,
ECAPA's channel- and context-dependent variant by default), ``mhasp`` (multi-head attentive
statistics), ``ghostvlad`` and ``netvlad``. Input ``[batch, channels, frames]``.

Example:
    >>> import torch
    >>> from TrainAndTest.pooling import POOLING
    >>> POOLING.names()
    ['asp', 'ghostvlad', 'mhasp', 'netvlad', 'sap', 'stats']
    >>> POOLING.build("asp", in_dim=6, attention_dim=4)(torch.randn(2, 6, 20)).shape
    torch.Size([2, 12])
"""

from TrainAndTest.pooling import (  # noqa: F401  (imported to register)
    attentive_statistics_pooling,
    ghost_vlad_pooling,
    multi_head_attentive_statistics_pooling,
    self_attentive_pooling,
    statistics_pooling,
)
from TrainAndTest.pooling.base import POOLING, Pooling, weighted_mean_std

__all__ = ["POOLING", "Pooling", "weighted_mean_std"]
