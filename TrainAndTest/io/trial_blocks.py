"""Trial lists and score files read as fixed-size blocks of Arrow ids and numpy values.

:mod:`TrainAndTest.io.trials` reads a whole list into Python lists of strings (about 380
bytes per trial once matched); this module reads the same files (same formats, same
``file:line`` errors) as blocks of ``block_size`` lines, so a reader holds
``O(block_size)`` trials whatever the list's length.

Parsing is ``pyarrow``'s CSV parser on 4 MiB pieces of whole lines (space-delimited, no
quoting); 2M score lines parse in 0.5 s, against 3.4 s for ``str.split`` per line on the same machine
(``docs/BENCHMARKS.md``). A block the fast reader rejects (double spaces, tabs, an empty
line, a bad label, a NaN score) is re-read from its first line by a line-by-line parser
that accepts any whitespace and raises :class:`~TrainAndTest.io.trials.TrialsError`
naming ``file:line`` for a malformed line, so errors read exactly as before.

Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "trials")
    >>> _ = open(p, "w").write("a b target\\na c nontarget\\nb c nontarget\\n")
    >>> [(b.start, b.labels.tolist()) for b in iter_trial_blocks(p, block_size=2)]
    [(0, [1, 0]), (2, [0])]
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterator, List, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from TrainAndTest.io.trials import _KALDI_LABELS, _VOX_LABELS, PathLike, TrialsError, _trial_format

_READ_BYTES = 1 << 22
"""Bytes read from a file at a time (then cut at its last newline) for the Arrow parser."""

DEFAULT_BLOCK_SIZE = 250_000
"""Trials per block: tens of MB of working memory for ids of 40 characters; larger blocks
were no faster on 2 cores (they fall out of cache)."""

_COLUMNS = {
    "kaldi": ("enrol", "test", "label"),
    "voxceleb": ("label", "enrol", "test"),
    "unlabelled": ("enrol", "test"),
    "scores": ("enrol", "test", "score"),
}


class _NeedsLineParserError(Exception):
    """The fast reader met something it does not accept; re-read with the line parser."""


@dataclass
class TrialBlock:
    """Consecutive trials of a list.

    Attributes:
        enrol, test: Arrow string arrays of the ids.
        labels: int8, 1 target, 0 non-target, -1 unlabelled list.
        start: 0-based index of the first trial (its line is ``start + 1``).
    """

    enrol: pa.Array
    test: pa.Array
    labels: np.ndarray
    start: int

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class ScoreBlock:
    """Consecutive lines of a score file: ``enrol``, ``test`` (Arrow), ``scores`` float64."""

    enrol: pa.Array
    test: pa.Array
    scores: np.ndarray
    start: int

    def __len__(self) -> int:
        return len(self.scores)



def trial_format(path: PathLike) -> str:
    """Format of a trial list from its first line: ``kaldi``, ``voxceleb`` or ``unlabelled``.

    Raises:
        TrialsError: an empty file or a first line of no known format (``file:1``).
    """
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    if not first:
        raise TrialsError(f"{path}: no trials")
    fields = first.split()
    if not fields:
        raise TrialsError(f"{path}:1: empty line")
    return _trial_format(fields, f"{path}:1")


def _arrow_batches(path: PathLike, kind: str, block_size: int) -> Iterator[pa.RecordBatch]:
    names = _COLUMNS[kind]
    types = {n: pa.string() for n in names}
    if "score" in types:
        types["score"] = pa.float64()
    if "label" in types:
        types["label"] = pa.dictionary(pa.int32(), pa.string())
    parse_options = pa_csv.ParseOptions(delimiter=" ", quote_char=False, double_quote=False,
                                        escape_char=False, ignore_empty_lines=False)
    convert_options = pa_csv.ConvertOptions(column_types=types, strings_can_be_null=False)
    # The file is read here, 4 MiB of whole lines at a time, and each piece is parsed by
    # the (blocking) read_csv. Arrow's streaming reader read ahead on its I/O threads,
    # calling back into the Python file object; in CI a reader's threads were still alive
    # at interpreter shutdown and aborted the process ("terminate called without an active
    # exception", exit 134). Here no Arrow work outlives the call that started it.
    with open(path, "rb") as f:
        rest = b""
        while True:
            data = f.read(_READ_BYTES)
            if data:
                data = rest + data
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # no complete line yet: read on
                    rest = data
                    continue
                piece, rest = data[:cut], data[cut:]
            elif rest:
                piece, rest = rest, b""
            else:
                return
            try:
                # One Arrow block per piece: one batch, parsed on this thread (a serial
                # parse is about 0.1 s slower per 2M lines, and leaves Arrow's CPU pool,
                # whose workers can abort a process that ends right after, unused).
                read_options = pa_csv.ReadOptions(column_names=list(names), use_threads=False,
                                                  block_size=len(piece) + 1)
                table = pa_csv.read_csv(pa.py_buffer(piece), read_options=read_options,
                                        parse_options=parse_options,
                                        convert_options=convert_options)
            except pa.ArrowInvalid:
                raise _NeedsLineParserError from None
            yield from table.to_batches()


def _label_codes(col: pa.Array, kind: str) -> np.ndarray:
    table = _KALDI_LABELS if kind == "kaldi" else _VOX_LABELS
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    lut = np.array([table.get(v, -2) for v in col.dictionary.to_pylist()] + [-2], dtype=np.int8)
    idx = col.indices.fill_null(len(lut) - 1).to_numpy(zero_copy_only=False)
    labels = lut[idx]
    if np.any(labels < 0):
        raise _NeedsLineParserError
    return labels


def _checked_batch(batch: pa.RecordBatch, kind: str) -> Tuple[pa.Array, pa.Array, np.ndarray]:
    """(enrol, test, labels-or-scores) of a fast-read batch; raises _NeedsLineParserError."""
    enrol, test = batch.column("enrol"), batch.column("test")
    for col in (enrol, test):
        if col.null_count or pc.any(pc.equal(col, "")).as_py():
            raise _NeedsLineParserError  # an empty line or a missing field
    if kind == "scores":
        col = batch.column("score")
        if col.null_count:
            raise _NeedsLineParserError
        values = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        if not np.all(np.isfinite(values)):
            raise _NeedsLineParserError
        return enrol, test, values
    if kind == "unlabelled":
        return enrol, test, np.full(len(enrol), -1, dtype=np.int8)
    return enrol, test, _label_codes(batch.column("label"), kind)


def _parse_line(fields: List[str], line: str, where: str, kind: str):
    """(enrol, test, value) of one line, with the messages of io.trials."""
    if kind == "scores":
        if len(fields) != 3:
            raise TrialsError(f"{where}: expected 'enrol test score', got {line!r}")
        try:
            value = float(fields[2])
        except ValueError:
            raise TrialsError(f"{where}: score {fields[2]!r} is not a number") from None
        if not math.isfinite(value):
            raise TrialsError(f"{where}: score is {fields[2]} (NaN/inf rejected)")
        return fields[0], fields[1], value
    if not fields:
        raise TrialsError(f"{where}: empty line")
    if kind == "voxceleb":
        if len(fields) != 3 or fields[0] not in _VOX_LABELS:
            raise TrialsError(f"{where}: expected '1|0 enrol test', got {line.strip()!r}")
        return fields[1], fields[2], _VOX_LABELS[fields[0]]
    if kind == "kaldi":
        if len(fields) != 3 or fields[2] not in _KALDI_LABELS:
            raise TrialsError(
                f"{where}: expected 'enrol test target|nontarget', got {line.strip()!r}")
        return fields[0], fields[1], _KALDI_LABELS[fields[2]]
    if len(fields) != 2:
        raise TrialsError(f"{where}: expected 'enrol test', got {line.strip()!r}")
    return fields[0], fields[1], -1


def _line_batches(path: PathLike, kind: str, skip: int, block_size: int):
    """Line-by-line parse from line ``skip + 1``: (enrol, test, values) per ``block_size``."""
    dtype = np.float64 if kind == "scores" else np.int8
    with open(path, encoding="utf-8") as f:
        lines = enumerate(itertools.islice(f, skip, None), skip + 1)
        while True:
            chunk = list(itertools.islice(lines, block_size))
            if not chunk:
                return
            rows = [_parse_line(line.split(), line, f"{path}:{n}", kind) for n, line in chunk]
            e, t, v = zip(*rows)
            yield pa.array(e, pa.string()), pa.array(t, pa.string()), np.array(v, dtype=dtype)


def _parsed_batches(path: PathLike, kind: str, block_size: int):
    """(enrol, test, values) batches: the fast reader, the line parser from where it stops."""
    done = 0
    try:
        for batch in _arrow_batches(path, kind, block_size):
            parsed = _checked_batch(batch, kind)
            done += len(parsed[2])
            yield parsed
        return
    except _NeedsLineParserError:
        pass
    yield from _line_batches(path, kind, done, block_size)


def _blocks(path: PathLike, kind: str, block_size: int):
    """Re-cut parsed batches into blocks of exactly ``block_size`` rows (the last shorter)."""
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    pend_e: List[pa.Array] = []
    pend_t: List[pa.Array] = []
    pend_v: List[np.ndarray] = []
    have = 0
    start = 0
    for e, t, v in _parsed_batches(path, kind, block_size):
        pend_e.append(e)
        pend_t.append(t)
        pend_v.append(v)
        have += len(v)
        if have < block_size:
            continue
        cat_e = pa.concat_arrays([_plain(x) for x in pend_e])
        cat_t = pa.concat_arrays([_plain(x) for x in pend_t])
        cat_v = np.concatenate(pend_v)
        off = 0
        while have - off >= block_size:
            yield (cat_e.slice(off, block_size), cat_t.slice(off, block_size),
                   cat_v[off:off + block_size], start)
            start += block_size
            off += block_size
        pend_e, pend_t, pend_v = [cat_e.slice(off)], [cat_t.slice(off)], [cat_v[off:]]
        have -= off
    if have:
        yield (pa.concat_arrays([_plain(x) for x in pend_e]),
               pa.concat_arrays([_plain(x) for x in pend_t]), np.concatenate(pend_v), start)


def _plain(col) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def iter_trial_blocks(path: PathLike, block_size: int = DEFAULT_BLOCK_SIZE) -> Iterator[TrialBlock]:
    """Blocks of ``block_size`` trials of a Kaldi, VoxCeleb or unlabelled list.

    The format is taken from the first line, as in :func:`TrainAndTest.io.trials.read_trials`.

    Raises:
        TrialsError: ``file:line`` of a malformed line or bad label; an empty file.
    """
    kind = trial_format(path)
    for e, t, v, start in _blocks(path, kind, block_size):
        yield TrialBlock(e, t, v, start)


def iter_score_blocks(path: PathLike, block_size: int = DEFAULT_BLOCK_SIZE) -> Iterator[ScoreBlock]:
    """Blocks of ``block_size`` lines of an ``enrol test score`` file.

    Raises:
        TrialsError: ``file:line`` of a line without three fields, a score that is not a
        number, or a NaN/infinite score; an empty file.
    """
    empty = True
    for e, t, v, start in _blocks(path, "scores", block_size):
        empty = False
        yield ScoreBlock(e, t, v, start)
    if empty:
        raise TrialsError(f"{path}: no scores")
