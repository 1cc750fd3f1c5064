"""Speed perturbation of a data dir: Kaldi's ``perturb_data_dir_speed.sh``.

No audio is written: each ``wav.scp`` entry becomes a pipe through
``python -m Process_Data.bin.speed_perturb``, which ``Process_Data.audio.read_audio``
computes in-process with ``Process_Data.audio.speed_change``.

Example:
    >>> parse_speed_factor("1.1")
    1.1
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from Process_Data.audio import SPEED_PERTURB_MODULE
from Process_Data.data_dir import (
    DataDir,
    DataDirError,
    PathLike,
    format_seconds,
    validate_data_dir,
)
from Process_Data.data_ops.rename import rename_tables
from Process_Data.data_ops.staging import check_distinct, save_checked, staged_dir

#: Tables that no longer describe the audio after speed perturbation (Kaldi drops them).
PERTURB_DROPPED = ("feats.scp", "vad.scp", "cmvn.scp", "utt2num_frames")



def parse_speed_factor(text: str) -> float:
    """The float value of a speed factor given on the command line (must be > 0)."""
    try:
        factor = float(text)
    except ValueError:
        raise DataDirError(f"speed factor must be a number, got '{text}'") from None
    if not factor > 0:
        raise DataDirError(f"speed factor must be > 0, got '{text}'")
    return factor


def speed_perturb_entry(entry: str, factor: str) -> str:
    """The wav.scp value that plays ``entry`` at speed ``factor`` (a pipe).

    Example:
        >>> speed_perturb_entry("a.wav", "0.9")
        'python -m Process_Data.bin.speed_perturb 0.9 a.wav |'
        >>> speed_perturb_entry("sox b.flac -t wav - |", "1.1")
        'sox b.flac -t wav - | python -m Process_Data.bin.speed_perturb 1.1 - |'
    """
    import shlex

    entry = entry.strip()
    tool = f"python -m {SPEED_PERTURB_MODULE} {factor}"
    if entry.endswith("|"):
        return f"{entry} {tool} - |"
    return f"{tool} {shlex.quote(entry)} |"


def perturb_data_dir_speed(factor: str, src: PathLike, dest: PathLike) -> DataDir:
    """Kaldi's ``perturb_data_dir_speed.sh``: a copy of ``src`` whose audio is ``factor`` x faster.

    Utterance, speaker and recording ids get the prefix ``sp<factor>-``; wav.scp entries
    become pipes through ``python -m Process_Data.bin.speed_perturb``; utt2dur, reco2dur and
    segment times are divided by the factor; utt2uniq maps each new utterance to its source
    (kept if present). feats.scp, vad.scp, cmvn.scp and utt2num_frames are dropped.

    Raises:
        DataDirError: a bad factor or an invalid source (audio files must exist).
    """
    value = parse_speed_factor(factor)
    src, dest = Path(src), Path(dest)
    check_distinct(src, dest)
    dd = validate_data_dir(src, no_feats=True, no_wav=False, check_audio=True)
    prefix = f"sp{factor}-"
    for name in PERTURB_DROPPED:
        dd.tables.pop(name, None)
    if "utt2uniq" not in dd.tables:
        dd.tables["utt2uniq"] = OrderedDict((u, u) for u in dd.utt2spk)

    def scale(x: str) -> str:
        v = float(x)
        return x if v == -1 else format_seconds(v / value)

    dd.tables["wav.scp"] = OrderedDict(
        (k, speed_perturb_entry(v, factor)) for k, v in dd.tables["wav.scp"].items()
    )
    for name in ("utt2dur", "reco2dur"):
        if name in dd.tables:
            dd.tables[name] = OrderedDict((k, scale(v)) for k, v in dd.tables[name].items())
    if "segments" in dd.tables:
        dd.tables["segments"] = OrderedDict(
            (u, [r, scale(s), scale(e)]) for u, (r, s, e) in dd.tables["segments"].items()
        )

    def add(x: str) -> str:
        return prefix + x

    out = rename_tables(dd, add, add, add)
    with staged_dir(dest) as tmp:
        return save_checked(out, tmp, src=src)

