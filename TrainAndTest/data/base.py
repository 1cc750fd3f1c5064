"""Training data for the trainer: one interface over egs archives, on-the-fly chunking and a
synthetic source for tests and dry runs.

Every source is a :class:`TrainData`: it knows ``num_classes`` and ``feat_dim``, and for an
epoch yields this rank's share of each global batch as ``(feats [B, T, D], labels [B])``.
The order depends only on (seed, epoch), so a resumed run sees exactly the batches an
uninterrupted one would.

Example:
    >>> data = build_train_data("synthetic", {"num_speakers": 4, "utts_per_speaker": 4,
    ...     "feat_dim": 5, "batch_size": 8, "min_frames": 10, "max_frames": 12}, seed=0)
    >>> feats, labels = next(iter(data.batches(epoch=0)))
    >>> feats.shape[0], feats.shape[2], data.num_classes
    (8, 5, 4)
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Tuple

import numpy as np
import torch

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

    def __init__(self, batch_size: int, seed: int = 0, rank: int = 0, world_size: int = 1, **_):
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


@DATA_SOURCES.register("synthetic")
class SyntheticData(TrainData):
    """Gaussian "speakers" in feature space: each has a mean frame and a mean trajectory.

    A learnable, fully deterministic source for trainer tests and config dry runs; it is not
    speech. Frames of speaker ``s`` are ``mu_s + 0.5 * sin(t * w_s) + noise``.

    Args:
        num_speakers, utts_per_speaker: dataset size (all utterances train; ``num_valid``
            extra ones per run are drawn for validation).
        feat_dim: feature dimension.
        min_frames, max_frames: chunk length range; one length per global batch.
        batch_utts_per_speaker: M > 0 makes every batch speaker-major (B/M distinct speakers,
            M utterances each), as metric losses need; 0 draws utterances at random.
    """

    def __init__(
        self,
        num_speakers: int = 64,
        utts_per_speaker: int = 8,
        feat_dim: int = 30,
        min_frames: int = 50,
        max_frames: int = 80,
        num_valid: int = 64,
        batch_utts_per_speaker: int = 0,
        **kw: Any,
    ):
        super().__init__(**kw)
        self.num_classes, self.feat_dim = int(num_speakers), int(feat_dim)
        self.utts_per_speaker = int(utts_per_speaker)
        self.min_frames, self.max_frames = int(min_frames), int(max_frames)
        self.num_valid = int(num_valid)
        self.group = int(batch_utts_per_speaker)
        if self.group and (self.batch_size // self.world_size) % self.group:
            raise ValueError(
                f"data_conf.batch_utts_per_speaker={self.group} must divide the per-rank batch "
                f"{self.batch_size // self.world_size}"
            )
        g = np.random.default_rng(12345)
        self.means = g.normal(0, 1, (self.num_classes, self.feat_dim)).astype(np.float32)
        self.freqs = g.uniform(0.05, 0.5, (self.num_classes, self.feat_dim)).astype(np.float32)

    def _example(self, spk: int, length: int, rng: np.random.Generator) -> np.ndarray:
        t = np.arange(length, dtype=np.float32)[:, None]
        phase = rng.uniform(0, 2 * np.pi)
        x = self.means[spk] + 0.5 * np.sin(t * self.freqs[spk] + phase)
        return (x + rng.normal(0, 1.0, x.shape)).astype(np.float32)

    def steps_per_epoch(self) -> int:
        return max(self.num_classes * self.utts_per_speaker // self.batch_size, 1)

    def _global_batches(self, seed: int, n_batches: int) -> Iterator[Batch]:
        rng = np.random.default_rng(seed)
        labels_all = np.repeat(np.arange(self.num_classes), self.utts_per_speaker)
        order = rng.permutation(len(labels_all))
        per_rank = self.batch_size // self.world_size
        for b in range(n_batches):
            if self.group:  # B/M distinct speakers, M utterances each, speaker-major
                spks = rng.permutation(self.num_classes)[: self.batch_size // self.group]
                idx = np.repeat(spks * self.utts_per_speaker, self.group)
            else:
                idx = order[(b * self.batch_size + np.arange(self.batch_size)) % len(order)]
            length = int(rng.integers(self.min_frames, self.max_frames + 1))
            # Each example has its own generator so every rank can skip the others' cheaply.
            mine = slice(self.rank * per_rank, (self.rank + 1) * per_rank)
            seeds = rng.integers(0, 2**31, self.batch_size)[mine]
            labels = labels_all[idx][mine]
            feats = np.stack(
                [self._example(s, length, np.random.default_rng(k)) for s, k in zip(labels, seeds)]
            )
            yield torch.from_numpy(feats), torch.from_numpy(labels.astype(np.int64))

    def batches(self, epoch: int) -> Iterator[Batch]:
        return self._global_batches(self.seed * 1000003 + epoch, self.steps_per_epoch())

    def valid_batches(self) -> Iterator[Batch]:
        n = max(self.num_valid // self.batch_size, 1)
        return self._global_batches(self.seed * 1000003 - 1, n)


def build_train_data(
    name: str, conf: Mapping[str, Any], seed: int = 0, rank: int = 0, world_size: int = 1
) -> TrainData:
    """Build the data source ``name`` (``data`` in the config) from ``data_conf``.

    Every source takes the whole ``data_conf`` and ignores the keys of the other sources.
    """
    # The egs / on-the-fly sources register on import; they import this module, so late.
    import TrainAndTest.data_egs  # noqa: F401

    return DATA_SOURCES.get(name)(seed=seed, rank=rank, world_size=world_size, **conf)
