"""Kaldi table I/O for the entry points: Kaldi-style ``--name=value`` args and table writers.

``parse_kaldi_args`` splits ``--name=value`` options from positional arguments (Kaldi
binaries only take the ``=`` form). ``TableWriter`` wraps kaldiio's ``WriteHelper`` for a
``ark,scp:X.ark,X.scp`` (or ``ark:X.ark``) wspecifier and writes the scp under a temporary
name, renaming it last, so an scp on disk always describes a complete ark.

Example:
    >>> parse_kaldi_args(["--dither=0", "a.scp", "--x=1", "b"])
    (['--dither=0', '--x=1'], ['a.scp', 'b'])
"""

from __future__ import annotations

import os
import re
import struct
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import kaldiio

from Process_Data.data_dir import DataDirError, PathLike, read_kv


def parse_kaldi_args(argv: List[str]) -> Tuple[List[str], List[str]]:
    """(options, positionals): options are the ``--...`` arguments before or between them."""
    opts, pos = [], []
    for a in argv:
        (opts if a.startswith("--") and len(a) > 2 else pos).append(a)
    return opts, pos


def pop_option(opts: List[str], name: str, default: Optional[str] = None) -> Optional[str]:
    """Remove ``--name=value`` (last one wins) from ``opts`` and return its value."""
    value = default
    keep = []
    for a in opts:
        key, eq, val = a[2:].partition("=")
        if key.replace("_", "-") == name:
            value = val if eq else "true"
        else:
            keep.append(a)
    opts[:] = keep
    return value


def to_bool(value: str, name: str) -> bool:
    """Kaldi boolean text -> bool; ValueError naming the option otherwise."""
    low = value.lower()
    if low in ("true", "t", "1"):
        return True
    if low in ("false", "f", "0"):
        return False
    raise ValueError(f"--{name}: expected true or false, got '{value}'")


class TableWriter:
    """Context manager writing matrices/vectors to a Kaldi wspecifier, scp renamed last.

    Args:
        wspecifier: ``ark,scp:X.ark,X.scp`` or ``ark:X.ark``.
        compress: write compressed matrices (kaldiio compression method 2, Kaldi's
            ``--compress=true`` default type).
    """

    def __init__(self, wspecifier: str, compress: bool = False):
        kind, _, paths = wspecifier.partition(":")
        kinds = kind.split(",")
        if not paths or kinds[0] != "ark" or any(k not in ("ark", "scp", "t") for k in kinds):
            raise ValueError(f"expected ark,scp:X.ark,X.scp or ark:X.ark, got '{wspecifier}'")
        parts = paths.split(",")
        self.scp = parts[1] if "scp" in kinds and len(parts) > 1 else None
        self.tmp_scp = f"{self.scp}.tmp{os.getpid()}" if self.scp else None
        spec = f"{kind}:{parts[0]}" + (f",{self.tmp_scp}" if self.scp else "")
        self._helper = kaldiio.WriteHelper(spec, compression_method=2 if compress else None)

    def __enter__(self) -> TableWriter:
        return self

    def __call__(self, key: str, value) -> None:
        """Write one entry."""
        self._helper(key, value)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._helper.close()
        if self.scp is None:
            return
        if exc_type is None:
            os.replace(self.tmp_scp, self.scp)
        elif os.path.exists(self.tmp_scp):
            os.remove(self.tmp_scp)


def warn(msg: str) -> None:
    """Print a Kaldi-style warning line to stderr."""
    print(f"WARNING ({os.path.basename(sys.argv[0])}): {msg}", file=sys.stderr)


_ARK_REF = re.compile(r"^(?P<path>.+):(?P<offset>\d+)$")


def matrix_rows(ark_ref: str) -> int:
    """Number of rows of the Kaldi matrix at ``ark_ref`` (``path.ark:offset``).

    Reads only the binary header for float/double (``FM``/``DM``) and compressed (``CM``,
    ``CM2``, ``CM3``) matrices; anything else (text archives, pipes) is loaded with kaldiio.
    """
    m = _ARK_REF.match(ark_ref.strip())
    if m and os.path.isfile(m.group("path")):
        with open(m.group("path"), "rb") as f:
            f.seek(int(m.group("offset")))
            head = f.read(2)
            if head == b"\0B":
                token = b""
                while True:
                    c = f.read(1)
                    if c in (b" ", b""):
                        break
                    token += c
                if token in (b"FM", b"DM"):
                    size, rows = struct.unpack("<bi", f.read(5))
                    if size == 4:
                        return rows
                elif token in (b"CM", b"CM2", b"CM3"):
                    _, _, rows, _ = struct.unpack("<ffii", f.read(16))
                    return rows
    import kaldiio

    return int(kaldiio.load_mat(ark_ref).shape[0])


def feats_num_frames(feats_scp: PathLike) -> Dict[str, int]:
    """utt -> number of frames of every matrix in ``feats_scp``.

    Raises:
        DataDirError: naming ``feats.scp:line`` of an entry that cannot be read.
    """
    out: Dict[str, int] = OrderedDict()
    for lineno, (utt, ref) in enumerate(read_kv(feats_scp).items(), 1):
        try:
            out[utt] = matrix_rows(ref)
        except Exception as e:  # kaldiio raises assorted errors on bad archives
            raise DataDirError(f"{feats_scp}:{lineno}: cannot read matrix of '{utt}' ({e})") from None
    return out

