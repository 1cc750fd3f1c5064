"""Signatures of a step's inputs: one checksum over file contents, named files and options.

An expensive step (features, egs, augmentation, training) computes the signature of what it
reads and of its options, compares it with the one stored next to its outputs, and skips
only when they are equal (STYLE rule 10). What goes in:

- files by **content** (a data dir's ``utt2spk``, an option file, every file under a folder
  such as ``conf/`` or an egs ``info/``): touching them changes nothing, editing them does;
- the files a Kaldi table **names** (the audio of ``wav.scp``, the archives of ``feats.scp``)
  by size and modification time, since hashing a corpus on every run is too slow: a
  regenerated corpus or recomputed features change the signature even where the table's
  text stays the same;
- option words, as given.

A missing input is part of the signature too (``vad.scp`` absent vs present).

Example:
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "utt2spk")
    >>> _ = open(p, "w").write("a s\\n")
    >>> s1 = signature(files=[p], options=["--min-frames 100"])
    >>> s1 == signature(files=[p], options=["--min-frames 100"])
    True
    >>> s1 == signature(files=[p], options=["--min-frames 200"])
    False
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Tuple

#: an archive offset (``x.ark:123``) or a matrix range (``x.ark:123[0:9]``) after a path
_ARK_SUFFIX = re.compile(r"(:\d+)?(\[[0-9:, ]*\])?$")


def _files_under(path: Path) -> Iterator[Path]:
    """Non-hidden regular files under a folder, sorted by relative path (temp files, whose
    names start with a dot, are left out)."""
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def _content_lines(path: str) -> List[str]:
    """``<path> sha256:<hex>`` per file (every file under a folder), or ``<path> absent``."""
    p = Path(path)
    if p.is_dir():
        return [f"{path}/{f.relative_to(p)} {_sha256(f)}" for f in _files_under(p)] or [
            f"{path}/ empty"
        ]
    if p.is_file():
        return [f"{path} {_sha256(p)}"]
    return [f"{path} absent"]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _stat(path: str) -> str:
    st = os.stat(path)
    return f"size={st.st_size} mtime_ns={st.st_mtime_ns}"


def _stat_lines(path: str) -> List[str]:
    """``<path> size=.. mtime_ns=..`` per file (every file under a folder), or absent."""
    p = Path(path)
    if p.is_dir():
        return [f"{f} {_stat(str(f))}" for f in _files_under(p)] or [f"{path}/ empty"]
    if p.is_file():
        return [f"{path} {_stat(path)}"]
    return [f"{path} absent"]


def table_files(table: str) -> List[str]:
    """Existing files named by the values of a Kaldi table (``wav.scp``, ``feats.scp``).

    A value may be a path, ``path.ark:offset`` (with an optional ``[range]``) or a command
    (``sox a.wav -t wav - |``); every word that is an existing file counts, once.

    Example:
        >>> import tempfile, os
        >>> d = tempfile.mkdtemp(); ark = os.path.join(d, "f.ark"); _ = open(ark, "w")
        >>> scp = os.path.join(d, "feats.scp")
        >>> _ = open(scp, "w").write(f"u1 {ark}:12\\nu2 {ark}:40\\nu3 sox nofile - |\\n")
        >>> table_files(scp) == [ark]
        True
    """
    found: Dict[str, None] = {}
    checked = set()  # every word looked at once (command words repeat on every line)
    with open(table, encoding="utf-8") as f:
        for line in f:
            for word in line.split()[1:]:
                if word in checked:
                    continue
                checked.add(word)
                path = _ARK_SUFFIX.sub("", word)
                if path and path[0] != "-" and path not in found and os.path.isfile(path):
                    found[path] = None
    return list(found)


def _table_lines(table: str) -> List[str]:
    """The table's content and the size/mtime of every file it names (absent: one line)."""
    if not os.path.isfile(table):
        return [f"{table} absent"]
    return _content_lines(table) + [f"  {w} {_stat(w)}" for w in table_files(table)]


def signature_lines(
    files: Iterable[str] = (),
    tables: Iterable[str] = (),
    stats: Iterable[str] = (),
    options: Iterable[str] = (),
) -> List[str]:
    """What :func:`signature` hashes, one line per input (for logs and debugging).

    Args:
        files: files or folders signed by content (folders: every non-hidden file under them).
        tables: Kaldi tables signed by content plus the size and mtime of the files they name.
        stats: files or folders signed by size and mtime only (large outputs such as archives).
        options: option words, taken as given.

    Returns:
        the lines, in the order of the arguments.
    """
    lines: List[str] = [f"option {o}" for o in options]
    for path in files:
        lines += _content_lines(path)
    for table in tables:
        lines += _table_lines(table)
    for path in stats:
        lines += _stat_lines(path)
    return lines


def signature(
    files: Iterable[str] = (),
    tables: Iterable[str] = (),
    stats: Iterable[str] = (),
    options: Iterable[str] = (),
) -> str:
    """One checksum (sha256 hex) over a step's inputs; see :func:`signature_lines`."""
    h = hashlib.sha256()
    for line in signature_lines(files, tables, stats, options):
        h.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()


def parse_args(argv: List[str]) -> Tuple[List[str], List[str], List[str], List[str]]:
    """``--option TEXT``, ``--table FILE``, ``--stat PATH`` and plain paths, in any order.

    Raises:
        ValueError: an unknown ``--`` option or one without its value.
    """
    kinds: Dict[str, List[str]] = {"files": [], "--table": [], "--stat": [], "--option": []}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            kinds["files"] += argv[i + 1 :]
            break
        if a in kinds:
            if i + 1 >= len(argv):
                raise ValueError(f"{a} needs a value")
            kinds[a].append(argv[i + 1])
            i += 2
            continue
        if a.startswith("--"):
            raise ValueError(f"unknown option {a} (valid: --option, --table, --stat, --list)")
        kinds["files"].append(a)
        i += 1
    return kinds["files"], kinds["--table"], kinds["--stat"], kinds["--option"]
