"""Durations: Kaldi's ``get_utt2dur.sh`` and ``get_reco2dur.sh``.

Every duration is probed with ``Process_Data.audio.audio_duration`` (the recipe's one
probe) and written with ``Process_Data.data_dir.format_seconds`` (its one formatter).

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> read_frame_shift(d), read_frame_shift(d, 0.015)
    (0.01, 0.015)
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Optional

from Process_Data.audio import AudioError, audio_duration
from Process_Data.data_dir import (
    DataDirError,
    PathLike,
    format_seconds,
    read_kv,
    write_kv,
)
from Process_Data.data_ops.staging import load_valid
from Process_Data.kaldi_table import feats_num_frames


def recording_durations(data: PathLike, nj: int = 1) -> Dict[str, float]:
    """reco -> duration (s) of every wav.scp entry, read ``nj`` at a time.

    Raises:
        DataDirError: naming ``wav.scp:line`` of an entry that cannot be read.
    """

    data = Path(data)
    wav_scp = read_kv(data / "wav.scp", check_sorted=True)
    items = list(wav_scp.items())

    def one(i: int) -> float:
        reco, entry = items[i]
        try:
            return audio_duration(entry)
        except AudioError as e:
            raise DataDirError(f"{data}/wav.scp:{i + 1}: recording '{reco}': {e}") from None

    with ThreadPoolExecutor(max_workers=max(1, nj)) as pool:
        durs = list(pool.map(one, range(len(items))))
    return OrderedDict((reco, d) for (reco, _), d in zip(items, durs))


def read_frame_shift(data: PathLike, frame_shift: Optional[float] = None) -> float:
    """``frame_shift`` if given, else ``<data>/frame_shift`` when present, else 0.01 s."""
    if frame_shift is not None:
        return float(frame_shift)
    path = Path(data) / "frame_shift"
    if path.is_file():
        text = path.read_text().strip()
        try:
            return float(text)
        except ValueError:
            raise DataDirError(f"{path}:1: '{text}' is not a number") from None
    return 0.01


def compute_utt2dur(
    data: PathLike, nj: int = 1, frame_shift: Optional[float] = None
) -> Dict[str, float]:
    """Kaldi's ``get_utt2dur.sh``: write ``<data>/utt2dur`` and return it.

    Source, in Kaldi's order: ``segments`` (end - start; an end of -1 means the end of the
    recording, read from the audio); else ``wav.scp`` (soundfile header for plain paths,
    decoding for pipes and ffmpeg formats); else ``feats.scp`` (frames x frame shift).

    Raises:
        DataDirError: invalid data dir or unreadable audio (naming file and line).
    """
    data = Path(data)
    dd = load_valid(data)
    utt2dur: Dict[str, float] = OrderedDict()
    if "segments" in dd.tables:
        segs = dd.tables["segments"]
        needs_reco = any(float(v[2]) == -1 for v in segs.values())
        reco_dur = recording_durations(data, nj) if needs_reco else {}
        for utt, (reco, start, end) in segs.items():
            stop = reco_dur[reco] if float(end) == -1 else float(end)
            utt2dur[utt] = max(0.0, stop - float(start))
    elif "wav.scp" in dd.tables:
        utt2dur.update(recording_durations(data, nj))
    elif "feats.scp" in dd.tables:
        shift = read_frame_shift(data, frame_shift)
        for utt, n in feats_num_frames(data / "feats.scp").items():
            utt2dur[utt] = n * shift
    else:
        raise DataDirError(f"{data}: needs segments + wav.scp, wav.scp or feats.scp for utt2dur")
    write_kv(data / "utt2dur", {u: format_seconds(d) for u, d in utt2dur.items()})
    return utt2dur


def compute_reco2dur(data: PathLike, nj: int = 1) -> Dict[str, float]:
    """Kaldi's ``get_reco2dur.sh``: write ``<data>/reco2dur`` (durations of wav.scp entries)."""
    data = Path(data)
    load_valid(data)
    if not (data / "wav.scp").is_file():
        raise DataDirError(f"{data}/wav.scp: missing (reco2dur needs the audio)")
    reco2dur = recording_durations(data, nj)
    write_kv(data / "reco2dur", {r: format_seconds(d) for r, d in reco2dur.items()})
    return reco2dur

