"""Speaker-balanced batches: N speakers x M utterances per batch, for metric-learning losses.

``balanced_batches`` plans one epoch over a list of items (egs or utterances), each with a
speaker label and the utterance it comes from:

1. per speaker, groups of M items from M different utterances, taken from the utterances
   with the most items left while M of them have items (what is left after that is not
   used this epoch); a speaker with fewer than M utterances gets groups that repeat
   utterances (and repeats items to fill one group if it has fewer than M);
2. all groups shuffled and packed greedily into batches of ``per_batch // M`` groups of
   distinct speakers (a group whose speaker is already in the batch waits for the next);
   an incomplete last batch is dropped.

Each batch is speaker-major: rows ``[k*M, (k+1)*M)`` share a speaker. Everything random
comes from ``(seed, epoch)``, so a resumed epoch sees the same batches.

``shard(batches, g, G)``: global worker ``g`` of ``G`` (ranks x DataLoader workers) takes
batches ``g, g + G, ...``, and every worker the same count, so ranks stay in step and
their batches are disjoint.

Example:
    >>> labels = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    >>> utts = [f"u{i // 2}" for i in range(12)]  # two items per utterance
    >>> batches = balanced_batches(labels, utts, per_batch=4, per_speaker=2, seed=0, epoch=0)
    >>> [len(b) for b in batches], all(len({labels[i] for i in b[:2]}) == 1 for b in batches)
    ([4, 4, 4], True)
    >>> all(utts[b[0]] != utts[b[1]] for b in batches)  # M distinct utterances
    True
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Dict, Hashable, Iterator, List, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import IterableDataset


class BalanceError(ValueError):
    """Impossible balanced-batch settings; the message names the option."""


def _speaker_groups(items: List[int], utts: Sequence[Hashable], M: int,
                    rng: np.random.Generator) -> List[List[int]]:
    """Groups of M items of one speaker, each from M different utterances while the speaker
    has M utterances with items left (the fullest first, ties at random); a speaker with
    fewer than M utterances in all gets groups that repeat utterances (and items if it has
    fewer than M items)."""
    by_utt: Dict[Hashable, List[int]] = defaultdict(list)
    for i in items:
        by_utt[utts[i]].append(i)
    lists = [by_utt[u] for u in sorted(by_utt, key=str)]
    lists = [[lst[k] for k in rng.permutation(len(lst))] for lst in lists]
    if len(lists) < M:
        flat = [lst[d] for d in range(max(map(len, lists))) for lst in lists if d < len(lst)]
        if len(flat) < M:
            flat = (flat * (-(-M // len(flat))))[:M]
        return [flat[k:k + M] for k in range(0, len(flat) - M + 1, M)]
    groups: List[List[int]] = []
    while True:
        tie = rng.random(len(lists))
        avail = sorted((k for k in range(len(lists)) if lists[k]),
                       key=lambda k: (-len(lists[k]), tie[k]))
        if len(avail) < M:
            return groups
        groups.append([lists[k].pop() for k in avail[:M]])


def balanced_batches(labels: Sequence[int], utts: Sequence[Hashable], per_batch: int,
                     per_speaker: int, seed: int = 0, epoch: int = 0) -> List[List[int]]:
    """One epoch of speaker-major batches of item indices (see the module docstring).

    Args:
        labels: speaker label of each item.
        utts: utterance of each item (items of one utterance are not put in one group
            while the speaker has other utterances).
        per_batch: items per batch (a multiple of ``per_speaker``).
        per_speaker: M, items per speaker in a batch (>= 2 for metric losses).
        seed, epoch: the random stream.

    Returns:
        list of batches, each ``per_batch`` indices into ``labels``.
    """
    M = int(per_speaker)
    if M < 1 or per_batch % M:
        raise BalanceError(f"utts_per_speaker={M} must be >= 1 and divide the batch "
                           f"{per_batch}")
    n_spk_batch = per_batch // M
    by_spk: Dict[int, List[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        by_spk[int(lab)].append(i)
    if len(by_spk) < n_spk_batch:
        raise BalanceError(f"a batch of {per_batch} with utts_per_speaker={M} needs "
                           f"{n_spk_batch} speakers; the data has {len(by_spk)}")
    rng = np.random.default_rng([int(seed), int(epoch), 7919])
    groups: List[List[int]] = []
    for spk in sorted(by_spk):
        groups += _speaker_groups(by_spk[spk], utts, M, rng)
    groups = [groups[k] for k in rng.permutation(len(groups))]
    batches: List[List[int]] = []
    pending = groups
    while len(pending) >= n_spk_batch:
        current: List[List[int]] = []
        spks: set = set()
        waiting: List[List[int]] = []
        for g in pending:
            spk = int(labels[g[0]])
            if spk in spks:
                waiting.append(g)
                continue
            current.append(g)
            spks.add(spk)
            if len(current) == n_spk_batch:
                batches.append([i for grp in current for i in grp])
                current, spks = [], set()
        rest = waiting + current
        if len(rest) == len(pending):
            break  # what is left cannot fill a batch of distinct speakers
        pending = rest
    return batches


def shard(batches: List[List[int]], g: int, G: int) -> List[List[int]]:
    """Batches of global worker ``g`` of ``G``: ``g, g + G, ...``, the same count for all."""
    n = len(batches) // G
    return [batches[g + k * G] for k in range(n)]




def utt_of_key(key: str) -> str:
    """The utterance of an eg key ``<utt>-<start>-<length>`` (the key itself otherwise)."""
    parts = key.rsplit("-", 2)
    return parts[0] if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit() else key


class BalancedEgsDataset(IterableDataset):
    """Speaker-balanced batches of the training egs of an egs dir (random access by eg).

    Same output and API as :class:`Process_Data.egs.dataset.EgsDataset` (``set_epoch``,
    ``num_classes``, ``feat_dim``, ``num_batches``; batches ``(feats [B, T, D], labels
    [B])``, ``T`` the shortest chunk of the batch), but each batch holds ``B / M`` speakers x
    ``M`` egs of different utterances, speaker-major (see :func:`balanced_batches`).

    Args:
        egs_dir: output of ``make_egs`` (ark or h5 archives).
        batch_size: egs per batch (per rank and step), a multiple of ``utts_per_speaker``.
        seed, rank, world_size: as for ``EgsDataset``.
        utts_per_speaker: M.
        feats_chain: optional chain whose feature stages run on each eg.
    """

    def __init__(self, egs_dir, batch_size: int, seed: int = 0, rank: int = 0,
                 world_size: int = 1, utts_per_speaker: int = 2, feats_chain=None):
        super().__init__()
        from Process_Data.egs.dataset import read_labels
        from Process_Data.egs.make_egs import EgsError, read_info

        info = read_info(egs_dir)
        self.egs_dir = Path(egs_dir)
        self.num_classes, self.feat_dim = int(info["num_speakers"]), int(info["feat_dim"])
        self.format = info.get("format", "ark")
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.rank, self.world_size = int(rank), int(world_size)
        self.per_speaker, self.chain, self.epoch = int(utts_per_speaker), feats_chain, 0
        n_arch = int(info["num_archives"])
        self.where: List[Tuple[int, object]] = []  # (archive, scp entry or row index)
        self.labels: List[int] = []
        utts: List[str] = []
        for j in range(1, n_arch + 1):
            if self.format == "h5":
                import h5py

                with h5py.File(self.egs_dir / f"egs.{j}.h5", "r") as f:
                    keys = [k.decode() for k in f["keys"][()]]
                    labs = [int(x) for x in f["labels"][()]]
                self.where += [(j, k) for k in range(len(keys))]
            else:
                labels = read_labels(self.egs_dir / f"egs.{j}.labels")
                keys, labs = [], []
                with open(self.egs_dir / f"egs.{j}.scp", encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        key, _, entry = line.strip().partition(" ")
                        if key not in labels:
                            raise EgsError(f"{self.egs_dir}/egs.{j}.scp:{lineno}: eg '{key}' "
                                           "has no label")
                        keys.append(key)
                        labs.append(labels[key])
                        self.where.append((j, entry))
            self.labels += labs
            utts += [utt_of_key(k) for k in keys]
        self.utts = utts
        balanced_batches(self.labels, self.utts, self.batch_size, self.per_speaker)  # checks
        self._h5: Dict[int, object] = {}

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch (another plan of batches)."""
        self.epoch = int(epoch)

    def num_batches(self, num_workers: int = 0) -> int:
        """Batches this rank yields per epoch (from the plan of the current epoch)."""
        nw = max(1, num_workers)
        plan = balanced_batches(self.labels, self.utts, self.batch_size, self.per_speaker,
                                self.seed, self.epoch)
        return nw * (len(plan) // (self.world_size * nw))

    def _load(self, i: int) -> np.ndarray:
        arch, entry = self.where[i]
        if self.format == "h5":
            if arch not in self._h5:
                import h5py

                self._h5[arch] = h5py.File(self.egs_dir / f"egs.{arch}.h5", "r")
            f = self._h5[arch]
            lo, hi = f["offsets"][entry], f["offsets"][entry + 1]
            return np.asarray(f["feats"][lo:hi], dtype=np.float32)
        import kaldiio

        return np.asarray(kaldiio.load_mat(entry), dtype=np.float32)

    def __iter__(self) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        from Process_Data.egs.dataset import crop_batch, worker_shard

        g, G = worker_shard(self.rank, self.world_size)
        plan = balanced_batches(self.labels, self.utts, self.batch_size, self.per_speaker,
                                self.seed, self.epoch)
        rng = np.random.default_rng([self.seed, self.epoch, g, 1])
        for batch in shard(plan, g, G):
            mats = [self._load(i) for i in batch]
            if self.chain is not None:
                mats = [self.chain.apply_feats(m, rng) for m in mats]
            feats = crop_batch(mats, rng)
            labels = np.array([self.labels[i] for i in batch], dtype=np.int64)
            yield torch.from_numpy(feats), torch.from_numpy(labels)


__all__ = ["BalanceError", "BalancedEgsDataset", "balanced_batches", "shard", "utt_of_key"]
