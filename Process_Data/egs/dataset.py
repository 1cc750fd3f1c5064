"""Streaming loader of egs archives: sequential reads, shuffle buffer, sharding, batching.

``EgsDataset`` is a ``torch.utils.data.IterableDataset`` yielding whole batches
``(feats [B, T, D] float32, labels [B] int64)``; ``T`` is the shortest chunk of the batch
(longer chunks are cropped at a random offset). Per epoch:

1. the archives are put in a random order (``seed``, ``epoch``);
2. global worker ``g = rank * num_workers + worker_id`` of ``G = world_size * num_workers``
   reads archives ``g, g + G, ...`` of that order (with fewer archives than workers, every
   worker reads all of them and keeps egs ``g, g + G, ...``);
3. each archive is read front to back through a large buffer (``read_block_mb``), never a
   seek per chunk; egs pass through a shuffle buffer of ``shuffle_buffer`` egs;
4. every worker stops after the same number of egs (the smallest shard), so all ranks run
   the same number of steps (no DDP hang), and yields ``egs // batch_size`` full batches.

Everything random comes from ``(seed, epoch, g)``: the same seed, epoch, world size and
worker count give the same batches.

Trainer API:

    >>> ds = EgsDataset("exp/egs", batch_size=128, seed=0, rank=0, world_size=1)  # doctest: +SKIP
    >>> loader = make_loader(ds, num_workers=4)                                    # doctest: +SKIP
    >>> for epoch in range(10):                                                    # doctest: +SKIP
    ...     ds.set_epoch(epoch)
    ...     for feats, labels in loader:  # [B, T, D] float32, [B] int64
    ...         ...
    >>> ds.num_classes, ds.feat_dim, ds.num_batches(num_workers=4)                 # doctest: +SKIP

``subset="valid"`` / ``"diagnostic"`` reads ``valid_egs`` / ``train_diagnostic`` in order
(no shuffle, last partial batch kept, no equalising).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from Process_Data.egs.make_egs import EgsError, read_info

SUBSETS = {"valid": "valid_egs", "diagnostic": "train_diagnostic"}


def read_labels(path) -> dict:
    """``key -> label`` of an ``egs.N.labels`` file (errors name file:line)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if len(parts) != 2:
                raise EgsError(f"{path}:{lineno}: expected 'key label'")
            out[parts[0]] = int(parts[1])
    return out


def archive_length(path: str) -> int:
    """Number of egs in an archive (``.labels`` lines, or the h5 ``labels`` length)."""
    if path.endswith(".h5"):
        import h5py

        with h5py.File(path, "r") as f:
            return int(f["labels"].shape[0])
    with open(path[: -len(".ark")] + ".labels", "rb") as f:
        return sum(1 for _ in f)


def iter_archive(path: str, read_block_mb: float = 16.0) -> Iterator[Tuple[np.ndarray, int]]:
    """``(matrix, label)`` of every eg of an archive, in file order, through large reads."""
    block = max(1, int(read_block_mb * 2**20))
    if path.endswith(".h5"):
        import h5py

        with h5py.File(path, "r") as f:
            offsets = f["offsets"][()]
            labels = f["labels"][()]
            feats = f["feats"]
            row_bytes = max(1, feats.shape[1] * feats.dtype.itemsize)
            i = 0
            while i < len(labels):
                j = i + 1
                while j < len(labels) and (offsets[j + 1] - offsets[i]) * row_bytes <= block:
                    j += 1
                rows = feats[offsets[i] : offsets[j]].astype(np.float32)
                for k in range(i, j):
                    yield rows[offsets[k] - offsets[i] : offsets[k + 1] - offsets[i]], int(labels[k])
                i = j
        return
    import kaldiio

    labels = read_labels(path[: -len(".ark")] + ".labels")
    with open(path, "rb", buffering=block) as fd:
        for key, mat in kaldiio.load_ark(fd):
            if key not in labels:
                raise EgsError(f"{path}: eg '{key}' has no label in its .labels file")
            yield np.asarray(mat, dtype=np.float32), labels[key]


def crop_batch(mats: Sequence[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Stack matrices cropped (random offset) to the shortest one: ``[B, T_min, D]``."""
    t = min(len(m) for m in mats)
    out = np.empty((len(mats), t, mats[0].shape[1]), dtype=np.float32)
    for i, m in enumerate(mats):
        s = int(rng.integers(0, len(m) - t + 1))
        out[i] = m[s : s + t]
    return out


def worker_shard(rank: int, world_size: int) -> Tuple[int, int]:
    """``(global worker id, global worker count)`` of the calling DataLoader worker."""
    info = get_worker_info()
    wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
    return rank * nw + wid, world_size * nw


class EgsDataset(IterableDataset):
    """Batches streamed from an egs dir (see the module docstring).

    Args:
        egs_dir: output of ``make_egs``.
        batch_size: egs per batch (per rank and step).
        seed: base seed.
        rank, world_size: DDP position.
        shuffle_buffer: egs held for shuffling (0: archive order).
        subset: ``"train"``, ``"valid"`` or ``"diagnostic"``.
        feats_chain: optional ``augment.chain.Chain`` whose feature stages (SpecAugment) run
            on each eg.
        read_block_mb: read buffer size.
    """

    def __init__(
        self,
        egs_dir,
        batch_size: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        shuffle_buffer: int = 2000,
        subset: str = "train",
        feats_chain=None,
        read_block_mb: float = 16.0,
    ):
        super().__init__()
        self.egs_dir = Path(egs_dir)
        info = read_info(egs_dir)
        if batch_size < 1:
            raise EgsError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise EgsError(f"rank {rank} is outside world_size {world_size}")
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.rank, self.world_size = int(rank), int(world_size)
        self.shuffle_buffer = int(shuffle_buffer)
        self.subset = subset
        self.feats_chain = feats_chain
        self.read_block_mb = read_block_mb
        self.num_classes = int(info["num_speakers"])
        self.feat_dim = int(info["feat_dim"])
        ext = ".h5" if info.get("format", "ark") == "h5" else ".ark"
        if subset == "train":
            n = int(info["num_archives"])
            self.archives = [str(self.egs_dir / f"egs.{j}{ext}") for j in range(1, n + 1)]
        elif subset in SUBSETS:
            self.archives = [str(self.egs_dir / f"{SUBSETS[subset]}{ext}")]
        else:
            raise EgsError(f"subset must be train, valid or diagnostic, got {subset!r}")
        for a in self.archives:
            if not os.path.exists(a) or (ext == ".ark" and not os.path.exists(a[:-4] + ".scp")):
                raise EgsError(f"{a}: missing or incomplete (rerun steps/make_egs.sh)")
        self.lengths = [archive_length(a) for a in self.archives]
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch (reshuffles); call before iterating the loader."""
        self.epoch = int(epoch)

    def _plan(self, g: int, G: int) -> Tuple[List[int], Optional[int], int]:
        """(archive indices to read, eg stride filter or None, eg limit) for global worker g."""
        n = len(self.archives)
        train = self.subset == "train"
        order = (
            np.random.default_rng([self.seed, self.epoch]).permutation(n).tolist()
            if train else list(range(n))
        )
        if n >= G:
            shards = [order[h::G] for h in range(G)]
            counts = [sum(self.lengths[a] for a in s) for s in shards]
            mine, stride = shards[g], None
        else:
            total = sum(self.lengths)
            counts = [len(range(h, total, G)) for h in range(G)]
            mine, stride = order, g
        limit = min(counts) if train else counts[g]
        return mine, stride, limit

    def num_batches(self, num_workers: int = 0) -> int:
        """Batches this rank yields per epoch with ``num_workers`` DataLoader workers."""
        nw = max(1, num_workers)
        total = 0
        for wid in range(nw):
            _, _, limit = self._plan(self.rank * nw + wid, self.world_size * nw)
            if self.subset == "train":
                total += limit // self.batch_size
            else:
                total += -(-limit // self.batch_size)
        return total

    def _egs(self, archives: List[int], stride: Optional[int], G: int):
        idx = 0
        for a in archives:
            for mat, label in iter_archive(self.archives[a], self.read_block_mb):
                if stride is None or idx % G == stride:
                    yield mat, label
                idx += 1

    def __iter__(self) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        g, G = worker_shard(self.rank, self.world_size)
        archives, stride, limit = self._plan(g, G)
        rng = np.random.default_rng([self.seed, self.epoch, g])
        train = self.subset == "train"
        stream = self._egs(archives, stride, G)
        if train and self.shuffle_buffer > 0:
            stream = _shuffled(stream, self.shuffle_buffer, rng)
        batch: List = []
        taken = 0
        for mat, label in stream:
            if taken >= limit:
                break
            taken += 1
            if self.feats_chain is not None:
                mat = self.feats_chain.apply_feats(mat, rng)
            batch.append((mat, label))
            if len(batch) == self.batch_size:
                yield self._collate(batch, rng)
                batch = []
        if batch and not train:
            yield self._collate(batch, rng)

    def _collate(self, batch, rng) -> Tuple[torch.Tensor, torch.Tensor]:
        feats = crop_batch([m for m, _ in batch], rng)
        labels = np.array([lab for _, lab in batch], dtype=np.int64)
        return torch.from_numpy(feats), torch.from_numpy(labels)


def _shuffled(stream, size: int, rng: np.random.Generator):
    """Shuffle-buffer: fill ``size`` items, then emit a random one per new item."""
    buf: List = []
    for item in stream:
        if len(buf) < size:
            buf.append(item)
            continue
        i = int(rng.integers(size))
        yield buf[i]
        buf[i] = item
    for i in rng.permutation(len(buf)):
        yield buf[int(i)]


def make_loader(
    dataset: IterableDataset,
    num_workers: int = 4,
    pin_memory: bool = False,
    prefetch_factor: int = 4,
) -> DataLoader:
    """A DataLoader over a batch-yielding dataset (``EgsDataset`` or the on-the-fly ones).

    Workers are not persistent, so ``dataset.set_epoch(e)`` before each epoch reaches them.

    Example:
        >>> loader = make_loader(EgsDataset("exp/egs", 64), num_workers=2)  # doctest: +SKIP
    """
    kw = {"prefetch_factor": prefetch_factor} if num_workers > 0 else {}
    return DataLoader(
        dataset,
        batch_size=None,
        num_workers=num_workers,
        pin_memory=pin_memory,
        persistent_workers=False,
        **kw,
    )
