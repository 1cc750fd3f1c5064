"""Speaker turns, RTTM files and Kaldi ``segments`` of speech regions.

An RTTM line is ``SPEAKER <reco> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>``
(NIST; times in seconds). Turns are kept per recording as :class:`Turn` lists sorted by
start time. Kaldi ``segments`` lines are ``<utt> <reco> <start> <end>``; the utterance id
is ``<reco>-<start>-<end>`` in centiseconds, zero-padded to 7 digits (Kaldi's convention),
so the ids sort in time order.

Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "rttm")
    >>> write_rttm(p, {"r1": [Turn(0.5, 2.0, "A"), Turn(1.5, 3.25, "B")]})
    >>> open(p).read().splitlines()[1]
    'SPEAKER r1 1 1.500 1.750 <NA> <NA> B <NA> <NA>'
    >>> read_rttm(p)["r1"][1]
    Turn(start=1.5, end=3.25, speaker='B')
    >>> segment_id("r1", 1.5, 3.25)
    'r1-0000150-0000325'
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, NamedTuple, Sequence, Tuple, Union

from Process_Data.data_dir import atomic_write, kaldi_sort_key

PathLike = Union[str, Path]
Region = Tuple[float, float]


class RttmError(ValueError):
    """A malformed RTTM or segments file; the message names the file and line."""


class Turn(NamedTuple):
    """One speaker's turn, ``start``..``end`` seconds."""

    start: float
    end: float
    speaker: str


def read_rttm(path: PathLike) -> Dict[str, List[Turn]]:
    """Turns per recording of an RTTM file (``SPEAKER`` lines; other types are skipped).

    Raises:
        RttmError: naming ``path:line`` for a short line, a non-number or a negative time.
        FileNotFoundError: no such file.
    """
    out: Dict[str, List[Turn]] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0] != "SPEAKER":
                continue
            if len(fields) < 8:
                raise RttmError(f"{path}:{lineno}: an RTTM SPEAKER line has at least 8 "
                                f"fields, got {len(fields)}: {line.strip()!r}")
            try:
                start, dur = float(fields[3]), float(fields[4])
            except ValueError:
                raise RttmError(f"{path}:{lineno}: start/duration are not numbers: "
                                f"{fields[3]!r} {fields[4]!r}") from None
            if not (math.isfinite(start) and math.isfinite(dur)) or start < 0 or dur < 0:
                raise RttmError(f"{path}:{lineno}: negative or non-finite time "
                                f"(start {fields[3]}, duration {fields[4]})")
            out.setdefault(fields[1], []).append(Turn(start, start + dur, fields[7]))
    for turns in out.values():
        turns.sort()
    return out


def rttm_lines(reco: str, turns: Iterable[Turn]) -> List[str]:
    """The RTTM lines of one recording's turns (3 decimals, zero-length turns dropped)."""
    lines = []
    for t in sorted(turns):
        if t.end - t.start >= 0.0005:
            lines.append(f"SPEAKER {reco} 1 {t.start:.3f} {t.end - t.start:.3f} "
                         f"<NA> <NA> {t.speaker} <NA> <NA>")
    return lines


def write_rttm(path: PathLike, turns: Mapping[str, Sequence[Turn]]) -> None:
    """Write the turns of every recording (sorted by recording id), atomically."""
    with atomic_write(path) as f:
        for reco in sorted(turns, key=kaldi_sort_key):
            for line in rttm_lines(reco, turns[reco]):
                f.write(line + "\n")


def speech_regions(turns: Iterable[Turn]) -> List[Region]:
    """The union of the turns: sorted, non-overlapping ``(start, end)`` regions.

    Example:
        >>> speech_regions([Turn(0, 2, "A"), Turn(1, 3, "B"), Turn(4, 5, "A")])
        [(0, 3), (4, 5)]
    """
    out: List[List[float]] = []
    for start, end, _ in sorted(turns):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def segment_id(reco: str, start: float, end: float) -> str:
    """Kaldi's segment id ``<reco>-<start cs>-<end cs>`` (7 digits each)."""
    return f"{reco}-{int(round(start * 100)):07d}-{int(round(end * 100)):07d}"


def write_segments(path: PathLike, regions: Mapping[str, Sequence[Region]]) -> None:
    """Kaldi ``segments`` of the speech regions of each recording, atomically."""
    rows = []
    for reco, regs in regions.items():
        for start, end in regs:
            rows.append((segment_id(reco, start, end), reco, start, end))
    with atomic_write(path) as f:
        for utt, reco, start, end in sorted(rows, key=lambda r: kaldi_sort_key(r[0])):
            f.write(f"{utt} {reco} {start:.2f} {end:.2f}\n")


def read_segments(path: PathLike) -> Dict[str, List[Region]]:
    """Speech regions per recording from a Kaldi ``segments`` file (sorted by start).

    Raises:
        RttmError: naming ``path:line`` for a malformed line or ``end <= start``.
    """
    out: Dict[str, List[Region]] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if len(fields) != 4:
                raise RttmError(f"{path}:{lineno}: a segments line is '<utt> <reco> <start> "
                                f"<end>', got {line.strip()!r}")
            try:
                start, end = float(fields[2]), float(fields[3])
            except ValueError:
                raise RttmError(f"{path}:{lineno}: start/end are not numbers") from None
            if not start < end:
                raise RttmError(f"{path}:{lineno}: end {end} is not after start {start}")
            out.setdefault(fields[1], []).append((start, end))
    for regs in out.values():
        regs.sort()
    return out
