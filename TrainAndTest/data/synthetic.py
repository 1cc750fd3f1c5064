"""The synthetic data source: Gaussian "speakers" for trainer tests and config dry runs."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import torch

from TrainAndTest.data.base import DATA_SOURCES, Batch, TrainData


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
