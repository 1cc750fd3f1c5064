"""On-the-fly chunking: random access to a data dir's ``feats.scp`` or ``wav.scp``.

Same output and API as ``dataset.EgsDataset`` (``set_epoch``, ``num_classes``, ``feat_dim``,
``num_batches``, batches ``(feats [B, T, D] float32, labels [B] int64)``), for online
augmentation. Per epoch, every utterance appears ``num_repeats`` times in a random order
(``seed``, ``epoch``), sharded by global worker; each batch draws one chunk length ``T`` in
``[min_frames, max_frames]`` and every utterance gives a random ``T``-frame chunk
(shorter utterances are repeated to fill it).

Both sources go through the model's :class:`~Process_Data.features.frontend.Frontend`:

* ``source="feats"``: the matrix from ``feats.scp``, the front end's VAD (``vad.scp``) and
  utterance-level CMN over the whole utterance, a chunk, chunk-level CMN, then the chain's
  feature stages.
* ``source="wav"``: a random stretch of audio (just long enough for ``T`` frames after speed
  perturbation), the chain's wave stages (speed, reverb, noise), the front end's features
  (dither seeded from the loader's generator), VAD and CMN over the chunk, then the chain's
  feature stages (SpecAugment). With ``as_new_speakers`` speed perturbation, label ``l``
  under factor index ``k`` becomes ``l + k * num_speakers``.

Example:
    >>> ds = OnTheFlyDataset("data/train", batch_size=64, source="wav", frontend=fe,
    ...                      chain=Chain.from_yaml("conf/augment.yaml"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, Tuple

import numpy as np
import torch
from torch.utils.data import IterableDataset

from Process_Data.data_dir import kaldi_sort_key, read_kv, validate_data_dir
from Process_Data.egs.dataset import worker_shard
from Process_Data.egs.make_egs import EgsError


def fit_length(x: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``length``-long stretch of ``x`` along axis 0 (``x`` repeated if too short)."""
    if len(x) == 0:
        raise EgsError("cannot take a chunk of an empty utterance")
    if len(x) < length:
        reps = -(-length // len(x))
        x = np.concatenate([x] * reps)
    s = int(rng.integers(0, len(x) - length + 1))
    return x[s : s + length]


class OnTheFlyDataset(IterableDataset):
    """Random-access chunks of a data dir with optional online augmentation.

    Args:
        data_dir: Kaldi data dir (``feats.scp`` for ``source="feats"``, ``wav.scp`` for wav).
        batch_size: chunks per batch.
        seed: base seed.
        rank, world_size: DDP position.
        source: ``"feats"`` or ``"wav"``.
        min_frames, max_frames: chunk length range.
        num_repeats: passes over the utterances per epoch.
        chain: ``augment.chain.Chain`` (None: no augmentation).
        batch_utts_per_speaker: M > 0 gives speaker-balanced batches of B/M speakers x M
            different utterances (:mod:`Process_Data.egs.balanced`), for metric losses.
        frontend: the :class:`~Process_Data.features.frontend.Frontend` (features for
            ``source="wav"``, VAD and CMN for both); None: no VAD, no CMN, and for wav
            80-dim fbank at 16 kHz.
    """

    def __init__(
        self,
        data_dir,
        batch_size: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        source: str = "feats",
        min_frames: int = 200,
        max_frames: int = 200,
        num_repeats: int = 1,
        chain=None,
        frontend=None,
        batch_utts_per_speaker: int = 0,
    ):
        super().__init__()
        if source not in ("feats", "wav"):
            raise EgsError(f"source must be feats or wav, got {source!r}")
        if not 1 <= min_frames <= max_frames:
            raise EgsError(f"need 1 <= min_frames <= max_frames, got {min_frames}, {max_frames}")
        if batch_size < 1 or num_repeats < 1:
            raise EgsError("batch_size and num_repeats must be >= 1")
        self.data_dir = Path(data_dir)
        dd = validate_data_dir(data_dir, no_feats=source == "wav", no_wav=source == "feats",
                               check_audio=False)
        if frontend is None:
            from Process_Data.features.frontend import Frontend

            frontend = Frontend("fbank", ("--num-mel-bins=80",)) if source == "wav" else \
                Frontend("")
        self.frontend = frontend
        use_vad = frontend.vad
        if source == "feats" and use_vad and "vad.scp" not in dd.tables:
            raise EgsError(f"{data_dir}/vad.scp: missing (use_vad is on)")
        self.source, self.chain = source, chain
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.rank, self.world_size = int(rank), int(world_size)
        self.min_frames, self.max_frames = int(min_frames), int(max_frames)
        self.num_repeats = int(num_repeats)
        self.per_speaker = int(batch_utts_per_speaker)
        if self.per_speaker and chain is not None and chain.speed and chain.speed.as_new_speakers:
            raise EgsError("speaker-balanced batches (batch_utts_per_speaker) cannot be combined "
                           "with speed perturbation as new speakers (labels change per item)")
        self.sample_rate = frontend.sample_rate
        self.utts = dd.utts
        speakers = dd.speakers
        spk2int = {s: i for i, s in enumerate(speakers)}
        self.labels = [spk2int[dd.utt2spk[u]] for u in self.utts]
        self.num_speakers = len(speakers)
        self.num_classes = chain.num_classes(len(speakers)) if chain is not None else len(speakers)
        self.feats_scp = dd.tables.get("feats.scp")
        self.vad_scp = dd.tables.get("vad.scp") if use_vad and source == "feats" else None
        self.wav_scp = dd.tables.get("wav.scp")
        self.segments = dd.tables.get("segments")
        self.epoch = 0
        if source == "feats":
            import kaldiio

            self.feat_dim = int(kaldiio.load_mat(self.feats_scp[self.utts[0]]).shape[1])
            if frontend.dim is not None and frontend.dim != self.feat_dim:
                raise EgsError(f"{data_dir}/feats.scp: {self.feat_dim}-dim features, but the "
                               f"front end makes {frontend.dim}-dim {frontend.feature}")
        else:
            self.feat_dim = int(frontend.dim)

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch (reshuffles)."""
        self.epoch = int(epoch)

    def _order(self, g: int, G: int) -> Tuple[List[int], int]:
        n = len(self.utts) * self.num_repeats
        order = np.random.default_rng([self.seed, self.epoch]).permutation(n) % len(self.utts)
        per_worker = n // G
        return order[g::G][:per_worker].tolist(), per_worker

    def _balanced_plan(self) -> List[List[int]]:
        from Process_Data.egs.balanced import balanced_batches

        items = list(range(len(self.utts))) * self.num_repeats
        plan = balanced_batches([self.labels[i] for i in items], [self.utts[i] for i in items],
                                self.batch_size, self.per_speaker, self.seed, self.epoch)
        return [[items[k] for k in batch] for batch in plan]

    def num_batches(self, num_workers: int = 0) -> int:
        """Batches this rank yields per epoch with ``num_workers`` workers."""
        nw = max(1, num_workers)
        if self.per_speaker:
            return nw * (len(self._balanced_plan()) // (self.world_size * nw))
        per_worker = len(self.utts) * self.num_repeats // (self.world_size * nw)
        return nw * (per_worker // self.batch_size)

    # -- one chunk ---------------------------------------------------------------------
    def _feats_chunk(self, i: int, frames: int, rng) -> Tuple[np.ndarray, int]:
        import kaldiio

        u = self.utts[i]
        vad = kaldiio.load_mat(self.vad_scp[u]) if self.vad_scp is not None else None
        x = self.frontend.prepare_utterance(kaldiio.load_mat(self.feats_scp[u]), vad, u)
        x = self.frontend.finish_chunk(fit_length(x, frames, rng))
        if self.chain is not None:
            x = self.chain.apply_feats(x, rng)
        return x, self.labels[i]

    def _audio(self, u: str) -> np.ndarray:
        from Process_Data.augment.descriptor import read_entry

        if self.segments is None:
            return read_entry(self.wav_scp[u], self.sample_rate)
        reco, start, end = self.segments[u]
        wav = read_entry(self.wav_scp[reco], self.sample_rate)
        b = int(round(float(start) * self.sample_rate))
        e = len(wav) if float(end) == -1 else int(round(float(end) * self.sample_rate))
        return wav[b:e]

    def _wav_chunk(self, i: int, frames: int, rng) -> Tuple[np.ndarray, int]:
        comp = self.frontend.computer
        f = comp.frame
        need = (frames - 1) * f.window_shift + f.window_size
        max_speed = max(self.chain.speed_factors) if self.chain is not None else 1.0
        x = fit_length(self._audio(self.utts[i]), int(np.ceil(need * max_speed)) + 1, rng)
        k = 0
        if self.chain is not None:
            x, k = self.chain.apply_wave(x, rng)
        x = fit_length(x, need, rng)
        feats = self.frontend.features(x, self.sample_rate, seed=int(rng.integers(2**31)))
        vad = self.frontend.vad_of(feats) if self.frontend.vad else None
        if vad is not None and not vad.any():  # no voiced frame: keep the chunk whole
            vad = np.ones_like(vad)
        feats = self.frontend.prepare_utterance(feats, vad, self.utts[i])
        feats = self.frontend.finish_chunk(fit_length(feats, frames, rng))
        if self.chain is not None:
            feats = self.chain.apply_feats(feats, rng)
        label = self.labels[i]
        if self.chain is not None and self.chain.speed and self.chain.speed.as_new_speakers:
            label += k * self.num_speakers
        return feats, label

    def __iter__(self) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        g, G = worker_shard(self.rank, self.world_size)
        if self.per_speaker:  # N speakers x M utterances, speaker-major
            from Process_Data.egs.balanced import shard

            batches = shard(self._balanced_plan(), g, G)
        else:
            order, _ = self._order(g, G)
            batches = [order[b * self.batch_size : (b + 1) * self.batch_size]
                       for b in range(len(order) // self.batch_size)]
        rng = np.random.default_rng([self.seed, self.epoch, g])
        chunk = self._feats_chunk if self.source == "feats" else self._wav_chunk
        for batch in batches:
            frames = int(rng.integers(self.min_frames, self.max_frames + 1))
            items = [chunk(i, frames, rng) for i in batch]
            feats = np.stack([x for x, _ in items]).astype(np.float32, copy=False)
            labels = np.array([lab for _, lab in items], dtype=np.int64)
            yield torch.from_numpy(feats), torch.from_numpy(labels)


def spk2int_of(data_dir) -> dict:
    """Speaker -> label index (speakers in C order), as both loaders number them."""
    spks = sorted(set(read_kv(Path(data_dir) / "utt2spk").values()), key=kaldi_sort_key)
    return {s: i for i, s in enumerate(spks)}


__all__ = ["OnTheFlyDataset", "fit_length", "spk2int_of"]
