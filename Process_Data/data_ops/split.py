"""Splitting: Kaldi's ``split_scp.pl`` (:func:`split_lines`) and ``split_data.sh``
(:func:`split_data_dir`), per speaker or per utterance, balanced by utterance count.

Example:
    >>> split_counts(10, 3)
    [4, 3, 3]
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from Process_Data.data_dir import (
    RECO_FILES,
    SPK_FILES,
    UTT_FILES,
    DataDirError,
    PathLike,
)
from Process_Data.data_ops.staging import CARRIED_FILES, load_valid, save_checked, staged_dir


def split_counts(n: int, parts: int) -> List[int]:
    """Sizes of ``parts`` consecutive blocks of ``n`` items, as even as possible.

    Example:
        >>> split_counts(7, 3)
        [3, 2, 2]
    """
    base, extra = divmod(n, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _group_bounds(sizes: Sequence[int], parts: int) -> List[int]:
    """Cut points splitting consecutive groups of ``sizes`` into ``parts`` non-empty runs.

    Each cut goes to the group boundary nearest to its ideal share of the total, so the runs
    are balanced by item count while groups (speakers) stay whole.
    """
    total = sum(sizes)
    cum = [0]
    for s in sizes:
        cum.append(cum[-1] + s)
    cuts = [0]
    for k in range(1, parts):
        target = total * k / parts
        lo = cuts[-1] + 1  # at least one group in the previous run
        hi = len(sizes) - (parts - k)  # leave one group for each remaining run
        best = min(range(lo, hi + 1), key=lambda i: (abs(cum[i] - target), i))
        cuts.append(best)
    cuts.append(len(sizes))
    return cuts


def split_lines(
    lines: Sequence[str],
    parts: int,
    utt2spk: Optional[Mapping[str, str]] = None,
    name: str = "scp",
) -> List[List[str]]:
    """Split ``lines`` into ``parts`` consecutive, balanced chunks (Kaldi's split_scp.pl).

    Args:
        lines: table lines (the key is the first field).
        parts: number of chunks.
        utt2spk: when given, all lines of one speaker go to the same chunk; a speaker's lines
            must be contiguous (true for any table sorted by utterance id).
        name: the file name used in error messages.

    Returns:
        ``parts`` lists of lines, in input order.

    Raises:
        DataDirError: fewer lines (or speakers) than parts, a key missing from utt2spk, or a
        speaker whose lines are not contiguous (naming ``name:line``).

    Example:
        >>> split_lines(["a-1 x", "a-2 y", "b-1 z"], 2, {"a-1": "a", "a-2": "a", "b-1": "b"})
        [['a-1 x', 'a-2 y'], ['b-1 z']]
    """
    if parts < 1:
        raise DataDirError(f"split: number of parts must be >= 1, got {parts}")
    if utt2spk is None:
        if len(lines) < parts:
            raise DataDirError(
                f"{name}: cannot split {len(lines)} line(s) into {parts} parts "
                "(Kaldi refuses to write empty splits)"
            )
        out, start = [], 0
        for size in split_counts(len(lines), parts):
            out.append(list(lines[start : start + size]))
            start += size
        return out
    groups: List[List[str]] = []
    seen: Dict[str, int] = {}
    prev = None
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            raise DataDirError(f"{name}:{lineno}: empty line")
        if fields[0] not in utt2spk:
            raise DataDirError(f"{name}:{lineno}: '{fields[0]}' is not in utt2spk")
        spk = utt2spk[fields[0]]
        if spk != prev:
            if spk in seen:
                raise DataDirError(
                    f"{name}:{lineno}: lines of speaker '{spk}' are not contiguous (first run "
                    f"ends before line {seen[spk]}); sort the file by utterance id"
                )
            groups.append([])
            prev = spk
        seen[spk] = lineno
        groups[-1].append(line)
    if len(groups) < parts:
        raise DataDirError(
            f"{name}: cannot split {len(groups)} speaker(s) into {parts} parts; use fewer "
            "jobs or split per utterance (--per-utt)"
        )
    cuts = _group_bounds([len(g) for g in groups], parts)
    return [[line for g in groups[cuts[k] : cuts[k + 1]] for line in g] for k in range(parts)]


def split_data_dir(data: PathLike, nj: int, per_utt: bool = False, force: bool = False) -> Path:
    """Kaldi's ``split_data.sh``: ``<data>/split<nj>[utt]/{1..nj}``, each a valid data dir.

    Per speaker by default (all utterances of a speaker in one split, balanced by utterance
    count); ``per_utt`` splits by utterance (speakers may be spread over splits). Every table
    is filtered: wav.scp and reco2dur follow segments, speaker tables follow utt2spk.

    Args:
        data: the data dir (validated first).
        nj: number of splits.
        per_utt: split per utterance; the folder is ``split<nj>utt``.
        force: split even when the existing split is newer than every table of ``data``.

    Returns:
        The split folder.

    Raises:
        DataDirError: invalid data dir, or more splits than speakers (utterances).
    """
    data = Path(data)
    sdir = data / f"split{nj}{'utt' if per_utt else ''}"
    if not force and split_is_current(data, sdir, nj):
        return sdir
    dd = load_valid(data)
    utts = dd.utts
    lines = [f"{u} {dd.utt2spk[u]}" for u in utts]
    chunks = split_lines(lines, nj, None if per_utt else dd.utt2spk, name=str(data / "utt2spk"))
    with staged_dir(sdir) as tmp:
        for k, chunk in enumerate(chunks, 1):
            part = dd.subset(line.split()[0] for line in chunk)
            save_checked(part, tmp / str(k), src=data)
    return sdir


def split_is_current(data: Path, sdir: Path, nj: int) -> bool:
    """True when every split ``1..nj`` has every table of ``data`` and is newer than it."""
    names = [
        n for n in UTT_FILES + SPK_FILES + RECO_FILES + CARRIED_FILES if (data / n).is_file()
    ]
    if not sdir.is_dir():
        return False
    present = {p.name for p in sdir.iterdir() if p.is_dir()}
    if present != {str(k) for k in range(1, nj + 1)}:
        return False
    for k in range(1, nj + 1):
        for name in names:
            part = sdir / str(k) / name
            if not part.is_file() or part.stat().st_mtime < (data / name).stat().st_mtime:
                return False
    return True

