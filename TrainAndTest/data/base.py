"""The base class and registry of the trainer's data sources (see :mod:`TrainAndTest.data`)."""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

import torch

from Process_Data.features.frontend import Frontend
from Process_Data.registry import Registry

Batch = Tuple[torch.Tensor, torch.Tensor]


class TrainData:
    """Base class of the trainer's data sources (see the module docstring).

    Args:
        batch_size: global batch size (all ranks together); each rank gets
            ``batch_size // world_size`` examples per step.
        seed: data-order seed.
        rank, world_size: this process's place in distributed training.
    """

    num_classes: int
    feat_dim: int
    #: the front end that made the features (None: synthetic data)
    frontend: Optional[Frontend] = None

    def __init__(self, batch_size: int = 128, seed: int = 0, rank: int = 0, world_size: int = 1):
        if batch_size % world_size:
            raise ValueError(
                f"data_conf.batch_size={batch_size} is not divisible by {world_size} ranks"
            )
        self.batch_size = int(batch_size)
        self.seed, self.rank, self.world_size = int(seed), int(rank), int(world_size)

    def batches(self, epoch: int) -> Iterator[Batch]:
        """This rank's batches for ``epoch``."""
        raise NotImplementedError

    def valid_batches(self) -> Iterator[Batch]:
        """Validation batches (held-out utterances of training speakers); may be empty."""
        return iter(())

    def steps_per_epoch(self) -> int:
        """Number of batches :meth:`batches` yields per epoch."""
        raise NotImplementedError


DATA_SOURCES = Registry("data source", TrainData)


