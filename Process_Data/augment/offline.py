"""Offline (Kaldi voxceleb v2) augmentation of a data dir: reverb, noise, music, babble copies
(and, when asked for, telephone and device channel copies).

Each kind makes a data dir whose utterances are ``<utt>-<kind>`` (same speakers) and whose
``wav.scp`` entries are seeded ``augment_wav`` descriptors (see ``descriptor``); nothing is
decoded or written as audio here except what is needed to know durations. Kaldi v2 settings
are the defaults:

========  =========================================================  =====================
kind      what                                                       SNRs (dB, choices)
========  =========================================================  =====================
reverb    one RIR from ``--rir-set-parameters`` (weighted sets)       -
noise     MUSAN noise, foreground, one per ``fg_interval`` (1 s) gap  15:10:5:0
music     one MUSAN music file, background                           15:10:8:5
babble    3-7 MUSAN speech files, background                         20:17:15:13
telephone 8 kHz round trip, G.711 mu-law for half of them (not default) -
device    random gain, high-pass corner and peaking EQ (not default)    -
========  =========================================================  =====================

``make_augmented_dir`` writes each kind under ``<out>/parts/<kind>`` and the union of the
kinds, subset to ``subset_factor`` times the clean utterance count (seeded), as ``<out>``.
All options and inputs (noise lists, RIR lists, SNR strings, the clean dir) are checked
before any work starts.

Example (paths shortened):
    >>> make_augmented_dir("data/train", "data/train_aug", kinds=["music"],
    ...                    music_dir="data/musan_music")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from Process_Data.augment.add_noise import (
    parse_choices,
    plan_background,
    plan_foreground,
)
from Process_Data.augment.base import AugmentationError
from Process_Data.augment.descriptor import AugmentPlan, to_entry
from Process_Data.augment.reverberate import RirSets

KINDS = ("reverb", "noise", "music", "babble", "telephone", "device")
DEFAULT_KINDS = KINDS[:4]  # Kaldi's voxceleb v2 copies
MUSAN_SUBDIRS = {"noise": "noise", "music": "music", "babble": "speech"}


def entry_duration(entry: str) -> float:
    """Duration in seconds of a ``wav.scp`` value (``Process_Data.audio.audio_duration``).

    Raises:
        AugmentationError: the audio cannot be read (the message names the entry).
    """
    from Process_Data.audio import AudioError, audio_duration

    try:
        return audio_duration(entry)
    except AudioError as e:
        raise AugmentationError(str(e)) from None


def load_noise_list(source: Union[str, os.PathLike], what: str) -> OrderedDict[str, str]:
    """id -> entry of a noise source: a data dir (``wav.scp``) or a folder of audio files.

    Raises:
        AugmentationError: no audio at all, or an entry naming a missing file (file:line).
    """
    from Process_Data.data_dir import read_kv

    src = Path(source)
    if (src / "wav.scp").is_file():
        entries = read_kv(src / "wav.scp")
        for lineno, (key, e) in enumerate(entries.items(), 1):
            if not e.endswith("|") and not os.path.exists(e):
                raise AugmentationError(f"{src}/wav.scp:{lineno}: audio of '{key}' not found: {e}")
    elif src.is_dir():
        files = sorted(
            p for p in src.rglob("*") if p.suffix.lower() in (".wav", ".flac", ".ogg", ".sph")
        )
        entries = OrderedDict((p.stem, str(p.resolve())) for p in files)
    else:
        raise AugmentationError(f"--{what}: {src} is neither a data dir nor a folder")
    if not entries:
        raise AugmentationError(f"--{what}: {src} has no audio (empty wav.scp or no audio files)")
    return entries


def noise_durations(source: Union[str, os.PathLike], entries: Mapping[str, str]) -> Dict[str, float]:
    """Durations of a noise list: ``utt2dur`` of the data dir when present, else measured."""
    from Process_Data.data_dir import read_kv

    u2d = Path(source) / "utt2dur"
    known = {k: float(v) for k, v in read_kv(u2d).items()} if u2d.is_file() else {}
    return {k: known[k] if k in known else entry_duration(e) for k, e in entries.items()}


def _rng(seed: int, kind: str, key: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(f"{kind}/{key}".encode())])


def _check_snrs(text: str, option: str) -> str:
    parse_choices(text, option)
    return text


class OfflineAugmenter:
    """Checked settings and pools for ``augment_data_dir``; building it validates everything.

    Args: see ``make_augmented_dir``.
    """

    def __init__(
        self,
        kinds: Sequence[str] = DEFAULT_KINDS,
        rir_set_parameters: Union[None, str, Sequence[str]] = None,
        musan_root: Optional[str] = None,
        noise_dir: Optional[str] = None,
        music_dir: Optional[str] = None,
        babble_dir: Optional[str] = None,
        fg_snrs: str = "15:10:5:0",
        fg_interval: float = 1.0,
        music_snrs: str = "15:10:8:5",
        babble_snrs: str = "20:17:15:13",
        num_babble_speakers: str = "3:4:5:6:7",
        seed: int = 0,
        sample_rate: int = 16000,
    ):
        bad = [k for k in kinds if k not in KINDS]
        if bad or not kinds:
            raise AugmentationError(f"--kinds: unknown kind(s) {bad} (valid: {', '.join(KINDS)})")
        self.kinds = list(kinds)
        self.snrs = {
            "noise": _check_snrs(fg_snrs, "fg-snrs"),
            "music": _check_snrs(music_snrs, "music-snrs"),
            "babble": _check_snrs(babble_snrs, "babble-snrs"),
        }
        parse_choices(num_babble_speakers, "num-babble-speakers", int)
        self.num_babble = num_babble_speakers
        try:
            self.fg_interval = float(fg_interval)
        except ValueError:
            raise AugmentationError(f"--fg-interval: not a number: {fg_interval!r}") from None
        self.seed, self.sample_rate = int(seed), int(sample_rate)
        self.rirs = None
        if "reverb" in self.kinds:
            if not rir_set_parameters:
                raise AugmentationError("--rir-set-parameters: needed for kind 'reverb'")
            self.rirs = RirSets(rir_set_parameters)
        self.pools: Dict[str, Tuple[str, OrderedDict]] = {}
        given = {"noise": noise_dir, "music": music_dir, "babble": babble_dir}
        for kind in ("noise", "music", "babble"):
            if kind not in self.kinds:
                continue
            src = given[kind]
            if not src:
                if not musan_root:
                    raise AugmentationError(f"--{kind}-dir or --musan-root: needed for kind '{kind}'")
                src = os.path.join(musan_root, MUSAN_SUBDIRS[kind])
            self.pools[kind] = (str(src), load_noise_list(src, f"{kind}-dir"))
        self._durations: Dict[str, Dict[str, float]] = {}

    def _pool_durations(self, kind: str) -> Dict[str, float]:
        if kind not in self._durations:
            src, entries = self.pools[kind]
            self._durations[kind] = noise_durations(src, entries)
        return self._durations[kind]

    def plan(self, kind: str, key: str, duration: float) -> AugmentPlan:
        """The seeded plan of one recording of ``duration`` seconds."""
        rng = _rng(self.seed, kind, key)
        plan = AugmentPlan(seed=int(rng.integers(2**31 - 1)), sample_rate=self.sample_rate)
        if kind == "reverb":
            plan.rir = self.rirs.choose(rng)[2]
            return plan
        if kind == "telephone":
            plan.channel = "telephone-mulaw" if rng.random() < 0.5 else "telephone"
            return plan
        if kind == "device":
            plan.channel = "device"
            return plan
        _, entries = self.pools[kind]
        ids = list(entries)
        if kind == "noise":
            durs = self._pool_durations(kind)
            ms = [int(round(durs[i] * 1000)) for i in ids]
            events = plan_foreground(
                int(round(duration * 1000)), ms, self.snrs[kind], int(round(self.fg_interval * 1000)), rng
            )
            plan.fg = [(t / 1000.0, snr, entries[ids[i]]) for t, i, snr in events]
        else:
            n = "1" if kind == "music" else self.num_babble
            plan.bg = [
                (snr, entries[ids[i]]) for i, snr in plan_background(n, len(ids), self.snrs[kind], rng)
            ]
        return plan


def _recording_durations(dd, src: Path) -> Dict[str, float]:
    from Process_Data.data_dir import read_kv

    wav = dd.tables["wav.scp"]
    if "segments" not in dd.tables and (src / "utt2dur").is_file():
        table = read_kv(src / "utt2dur")
        if set(table) == set(wav):
            return {k: float(v) for k, v in table.items()}
    if (src / "reco2dur").is_file():
        table = read_kv(src / "reco2dur")
        if set(table) == set(wav):
            return {k: float(v) for k, v in table.items()}
    return {k: entry_duration(e) for k, e in wav.items()}


def augment_data_dir(src, dst, kind: str, aug: OfflineAugmenter, python: str = "python"):
    """Write the ``kind`` copy of data dir ``src`` into ``dst``; return it as a DataDir.

    Utterances (and recordings, when there are segments) get the suffix ``-<kind>``.
    """
    from Process_Data.data_dir import DataDir, fix_data_dir, validate_data_dir

    src, dst = Path(src), Path(dst)
    dd = DataDir.load(src)
    durs = _recording_durations(dd, src)
    sfx = f"-{kind}"
    tables: Dict[str, Dict] = {}
    tables["wav.scp"] = {
        reco + sfx: to_entry(aug.plan(kind, reco, durs[reco]), e, python)
        for reco, e in dd.tables["wav.scp"].items()
    }
    tables["utt2spk"] = {u + sfx: s for u, s in dd.utt2spk.items()}
    if "segments" in dd.tables:
        tables["segments"] = {
            u + sfx: [r + sfx, b, e] for u, (r, b, e) in dd.tables["segments"].items()
        }
        if "reco2dur" in dd.tables:
            tables["reco2dur"] = {r + sfx: d for r, d in dd.tables["reco2dur"].items()}
    else:
        tables["utt2dur"] = {u + sfx: f"{durs[u]:g}" for u in dd.utt2spk}
    if "utt2dur" in dd.tables and "segments" in dd.tables:
        tables["utt2dur"] = {u + sfx: d for u, d in dd.tables["utt2dur"].items()}
    out = DataDir(tables)
    out.save(dst)
    fix_data_dir(dst, backup=False)
    return validate_data_dir(dst, no_feats=True)


def make_augmented_dir(
    src,
    out,
    kinds: Sequence[str] = DEFAULT_KINDS,
    subset_factor: float = 2.0,
    python: str = "python",
    **settings,
) -> Dict[str, int]:
    """Augment ``src`` with each kind and write their union, subset, into ``out``.

    Args:
        src: clean data dir (``wav.scp`` + ``utt2spk``; ``utt2dur`` saves measuring).
        out: output data dir; the per-kind dirs go to ``out/parts/<kind>``.
        kinds: subset of ``KINDS`` (default ``reverb noise music babble``).
        subset_factor: keep ``subset_factor * len(clean)`` augmented utterances (0: all).
        python: interpreter named in the descriptors.
        settings: ``OfflineAugmenter`` options (rir_set_parameters, musan_root, noise_dir,
            music_dir, babble_dir, fg_snrs, fg_interval, music_snrs, babble_snrs,
            num_babble_speakers, seed, sample_rate).

    Returns:
        utterance counts: one per kind, ``"combined"`` and ``"clean"``.

    Raises:
        AugmentationError / DataDirError: bad settings or inputs, before any output.
    """
    from Process_Data.data_dir import DataDir, fix_data_dir, validate_data_dir

    src, out = Path(src), Path(out)
    clean = validate_data_dir(src, no_feats=True)
    aug = OfflineAugmenter(kinds=kinds, **settings)
    counts: Dict[str, int] = {"clean": len(clean.utt2spk)}
    merged: Dict[str, Dict] = {}
    for kind in aug.kinds:
        part = augment_data_dir(src, out / "parts" / kind, kind, aug, python)
        counts[kind] = len(part.utt2spk)
        for name, table in part.tables.items():
            if name != "spk2utt":
                merged.setdefault(name, {}).update(table)
    combined = DataDir(merged)
    utts: List[str] = combined.utts
    n_keep = int(round(subset_factor * counts["clean"])) if subset_factor > 0 else len(utts)
    if n_keep < len(utts):
        rng = np.random.default_rng([aug.seed, 7])
        utts = sorted(rng.choice(utts, size=n_keep, replace=False).tolist())
        combined = combined.subset(utts)
    combined.tables.pop("spk2utt", None)
    combined.save(out)
    fix_data_dir(out, backup=False)
    counts["combined"] = len(validate_data_dir(out, no_feats=True).utt2spk)
    return counts


def channel_data_dir(src, dest, channel: str, seed: int = 0, python: str = "python"):
    """A copy of data dir ``src`` heard through ``channel``, with the same ids (and trials).

    For evaluating a model on a channel it was not trained on (e.g. the test lists through a
    telephone: ``channel="telephone-mulaw"``): every ``wav.scp`` entry becomes an
    ``augment_wav --channel`` descriptor (seeded per recording), the ids, speakers, durations
    and segments stay, features and VAD are dropped (they must be recomputed), and the
    ``trials*`` files are copied, so the source's trial lists score the copy unchanged. When
    ``dest`` already holds exactly this copy it is left untouched (its features stay).

    Raises:
        AugmentationError: an unknown channel. DataDirError: an invalid source.
    """
    from Process_Data.augment.descriptor import CHANNELS
    from Process_Data.corpora.common import write_data_dir
    from Process_Data.data_dir import validate_data_dir
    from Process_Data.data_ops.speed import PERTURB_DROPPED
    from Process_Data.data_ops.staging import check_distinct

    if channel not in CHANNELS:
        raise AugmentationError(f"--channel: unknown channel {channel!r} (valid: {', '.join(CHANNELS)})")
    src, dest = Path(src), Path(dest)
    check_distinct(src, dest)
    dd = validate_data_dir(src, no_feats=True)
    for name in PERTURB_DROPPED:
        dd.tables.pop(name, None)
    dd.tables["wav.scp"] = OrderedDict(
        (reco, to_entry(AugmentPlan(seed=int(_rng(seed, channel, reco).integers(2**31 - 1)),
                                    channel=channel), entry, python))
        for reco, entry in dd.tables["wav.scp"].items()
    )
    copied = [p for p in sorted(src.glob("trials*")) if p.is_file()]
    copied += [src / "frame_shift"] if (src / "frame_shift").is_file() else []
    write_data_dir(dest, dd.tables, {p.name: p.read_text(encoding="utf-8") for p in copied},
                   log=lambda _msg: None)
    return validate_data_dir(dest, no_feats=True)
