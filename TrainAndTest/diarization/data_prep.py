"""Data dirs of recordings for diarization, from a folder of ``<name>.wav`` + ``<name>.rttm``.

The data dir (Kaldi style, every recording its own "utterance" and "speaker" so the
usual tools accept it) holds ``wav.scp``, ``utt2spk``, ``spk2utt``, ``reco2dur``,
``reco2num_spk`` (the reference speaker count) and the reference ``rttm``. Tables are
written to a temporary dir that is renamed onto the target.

``diar_mini`` (``../shared/data/diar_mini``, 15 clips) has a fixed split into a
development part (the threshold is tuned there) and a test part (:data:`DIAR_MINI_SPLIT`).
Clips that share speakers stay on one side (EN2001a/b/d/e; EN2002a/b; EN2006a/b;
ES2003a/b; EN2005a and EN2009b share FEE083), so no test speaker is heard in tuning:

* dev (6 clips, 3.0 min): ami_EN2001a, ami_EN2001b, ami_EN2001d, ami_EN2001e, ami_EN2004a,
  pyannote_sample;
* test (9 clips, 4.7 min): ami_EN2002a, ami_EN2002b, ami_EN2005a, ami_EN2006a, ami_EN2006b,
  ami_EN2009b, ami_ES2003a, ami_ES2003b, paa_diarization_example.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from Process_Data.audio import AudioError, audio_duration
from Process_Data.data_dir import format_seconds, validate_data_dir, write_kv
from TrainAndTest.diarization.rttm import RttmError, Turn, read_rttm, write_rttm

DIAR_MINI_SPLIT: Dict[str, List[str]] = {
    "dev": ["ami_EN2001a", "ami_EN2001b", "ami_EN2001d", "ami_EN2001e", "ami_EN2004a",
            "pyannote_sample"],
    "test": ["ami_EN2002a", "ami_EN2002b", "ami_EN2005a", "ami_EN2006a", "ami_EN2006b",
             "ami_EN2009b", "ami_ES2003a", "ami_ES2003b", "paa_diarization_example"],
}


def write_recordings_dir(out_dir: os.PathLike, wav_scp: Mapping[str, str],
                         turns: Mapping[str, Sequence[Turn]],
                         durations: Mapping[str, float]) -> None:
    """Write a diarization data dir (see the module docstring) atomically and validate it."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write_kv(tmp / "wav.scp", wav_scp)
        write_kv(tmp / "utt2spk", {r: r for r in wav_scp})
        write_kv(tmp / "spk2utt", {r: r for r in wav_scp})
        write_kv(tmp / "reco2dur", {r: format_seconds(durations[r]) for r in wav_scp})
        write_kv(tmp / "reco2num_spk",
                 {r: str(max(1, len({t.speaker for t in turns.get(r, [])}))) for r in wav_scp})
        write_rttm(tmp / "rttm", {r: turns.get(r, []) for r in wav_scp})
        validate_data_dir(tmp, no_feats=True)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def prepare_rttm_folder(root: os.PathLike, out_dir: os.PathLike,
                        names: Optional[Sequence[str]] = None) -> int:
    """A data dir of the ``<name>.wav`` recordings of ``root`` with their ``<name>.rttm``.

    Args:
        root: the folder.
        out_dir: the data dir to write.
        names: the recordings to take (None: every ``*.wav`` of ``root``).

    Returns:
        the number of recordings.

    Raises:
        RttmError: a missing or malformed RTTM, one naming another recording, or turns
        past the end of the audio (names the file).
        AudioError: unreadable audio (names the file).
    """
    root = Path(root)
    if names is None:
        names = sorted(p.stem for p in root.glob("*.wav"))
    if not names:
        raise RttmError(f"{root}: no .wav recordings")
    wav_scp, turns, durations = {}, {}, {}
    for name in names:
        wav, rttm = root / f"{name}.wav", root / f"{name}.rttm"
        if not wav.is_file():
            raise AudioError(f"audio file not found: {wav}")
        if not rttm.is_file():
            raise RttmError(f"{rttm}: missing (every recording needs its reference)")
        got = read_rttm(rttm)
        other = sorted(set(got) - {name})
        if other:
            raise RttmError(f"{rttm}: turns of recording '{other[0]}', expected only '{name}'")
        durations[name] = audio_duration(str(wav))
        late = [t for t in got.get(name, []) if t.end > durations[name] + 0.05]
        if late:
            raise RttmError(f"{rttm}: a turn ends at {late[0].end:.3f} s, after the end of "
                            f"{wav} ({durations[name]:.3f} s)")
        wav_scp[name] = str(wav.resolve())
        turns[name] = got.get(name, [])
    write_recordings_dir(out_dir, wav_scp, turns, durations)
    return len(names)


def prepare_diar_mini(root: os.PathLike, out_dir: os.PathLike, part: str) -> int:
    """The ``dev``, ``test`` or ``all`` part of diar_mini as a data dir (module docstring)."""
    if part == "all":
        names = sorted(DIAR_MINI_SPLIT["dev"] + DIAR_MINI_SPLIT["test"])
    elif part in DIAR_MINI_SPLIT:
        names = DIAR_MINI_SPLIT[part]
    else:
        raise ValueError(f"--part {part!r}: valid parts are dev, test, all")
    return prepare_rttm_folder(root, out_dir, names)
