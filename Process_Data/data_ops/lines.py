"""Line-level table tools: Kaldi's ``filter_scp.pl``, ``utt2spk_to_spk2utt.pl``,
``spk2utt_to_utt2spk.pl`` (``split_scp.pl`` is ``split.split_lines``).

Only the standard library is imported, so that ``utils/*.pl`` run on a bare system Python.
Errors name ``file:line``.

Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "utt2spk")
    >>> _ = open(p, "w").write("a-1 a\\na-2 a\\nb-1 b\\n")
    >>> utt2spk_lines_to_spk2utt(p)
    ['a a-1 a-2', 'b b-1']
"""

from __future__ import annotations

import contextlib
import sys
from collections import OrderedDict
from typing import IO, Dict, Iterator, List, Tuple

from Process_Data.data_dir import (
    DataDirError,
)


@contextlib.contextmanager
def _open_in(path: str) -> Iterator[IO[str]]:
    """Open ``path`` for reading, ``-`` meaning stdin."""
    if path == "-":
        yield sys.stdin
    else:
        try:
            f = open(path, encoding="utf-8")
        except OSError as e:
            raise DataDirError(f"{path}: cannot open ({e.strerror})") from None
        with f:
            yield f


def numbered_lines(path: str) -> Iterator[Tuple[int, str]]:
    """(line number, line without newline) of a file or stdin, as UTF-8 text."""
    with _open_in(path) as f:
        try:
            for lineno, line in enumerate(f, 1):
                yield lineno, line.rstrip("\n")
        except UnicodeDecodeError as e:
            raise DataDirError(f"{path}: not UTF-8 text ({e})") from None


def read_id_list(path: str) -> set:
    """The first field of every line of ``path`` (``-``: stdin) as a set.

    Raises:
        DataDirError: ``path:line`` of an empty line.
    """
    ids = set()
    for lineno, line in numbered_lines(path):
        fields = line.split()
        if not fields:
            raise DataDirError(f"{path}:{lineno}: empty line")
        ids.add(fields[0])
    return ids


def filter_scp(
    idlist: str, scp: str, out: IO[str], field: int = 1, exclude: bool = False
) -> int:
    """Kaldi's ``filter_scp.pl``: copy the lines of ``scp`` whose ``field`` is in ``idlist``.

    Args:
        idlist: file whose first fields are the ids to keep (``-``: stdin).
        scp: file to filter, order preserved (``-``: stdin).
        out: where the kept lines go.
        field: 1-based field of ``scp`` compared with the ids (negative counts from the end).
        exclude: keep the lines whose field is *not* in ``idlist``.

    Returns:
        The number of lines written.

    Raises:
        DataDirError: ``scp:line`` of a line with fewer than ``|field|`` fields.

    Example:
        >>> import io, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> _ = open(os.path.join(d, "ids"), "w").write("b\\n")
        >>> _ = open(os.path.join(d, "scp"), "w").write("a x\\nb y\\n")
        >>> buf = io.StringIO()
        >>> filter_scp(os.path.join(d, "ids"), os.path.join(d, "scp"), buf)
        1
        >>> buf.getvalue()
        'b y\\n'
    """
    if field == 0:
        raise DataDirError("filter_scp: -f must be a non-zero field number")
    ids = read_id_list(idlist)
    index = field - 1 if field > 0 else field
    n = 0
    for lineno, line in numbered_lines(scp):
        fields = line.split()
        if len(fields) < abs(field):
            raise DataDirError(f"{scp}:{lineno}: has {len(fields)} field(s), -f {field} needs more")
        if (fields[index] in ids) != exclude:
            out.write(line + "\n")
            n += 1
    return n


def utt2spk_lines_to_spk2utt(path: str) -> List[str]:
    """Kaldi's ``utt2spk_to_spk2utt.pl`` on a file: speakers and utterances in input order.

    Raises:
        DataDirError: ``path:line`` of a line that is not ``utt spk``.
    """
    spk2utt: Dict[str, List[str]] = OrderedDict()
    for lineno, line in numbered_lines(path):
        fields = line.split()
        if len(fields) != 2:
            raise DataDirError(f"{path}:{lineno}: expected 'utt spk', got '{line}'")
        spk2utt.setdefault(fields[1], []).append(fields[0])
    return [f"{spk} {' '.join(utts)}" for spk, utts in spk2utt.items()]


def spk2utt_lines_to_utt2spk(path: str) -> List[str]:
    """Kaldi's ``spk2utt_to_utt2spk.pl`` on a file: one ``utt spk`` line per utterance.

    Raises:
        DataDirError: ``path:line`` of a speaker without utterances.
    """
    out = []
    for lineno, line in numbered_lines(path):
        fields = line.split()
        if len(fields) < 2:
            raise DataDirError(f"{path}:{lineno}: expected 'spk utt1 utt2 ...', got '{line}'")
        out.extend(f"{utt} {fields[0]}" for utt in fields[1:])
    return out

