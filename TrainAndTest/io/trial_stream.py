"""Trial lists and score files read and written in blocks, with memory bounded by the block.

:mod:`TrainAndTest.io.trials` reads a whole list into Python lists of strings (about 380
bytes per trial once matched); this module reads the same files (same formats, same
``file:line`` errors) as fixed-size blocks of Arrow string columns and numpy arrays, so a
scorer or ``compute_metrics`` holds ``O(block_size)`` trials whatever the list's length.

* Parsing: ``pyarrow``'s streaming CSV reader (space-delimited, no quoting); 2M score
  lines parse in 0.5 s, against 3.4 s for ``str.split`` per line on the same machine
  (``docs/BENCHMARKS.md``). A block the fast reader rejects (double spaces, tabs, an empty
  line, a bad label, a NaN score) is re-read from its first line by a line-by-line parser
  that accepts any whitespace and raises :class:`~TrainAndTest.io.trials.TrialsError`
  naming ``file:line`` for a malformed line, so errors read exactly as before.
* Matching a score file to a trial list (:func:`iter_matched_scores`): the file is
  normally in trial order, so blocks of both files are compared in lockstep (``O(block)``
  memory). At the first block whose (enrol, test) pairs differ, the score file is read
  again into a sorted table of integer pair keys (about 32 bytes per score line at its
  peak, plus the distinct ids once) and the rest of the list is looked up in it. Trials
  without a score and score lines of no trial are counted and named.
* Writing (:class:`ScoreWriter`): ``enrol test score`` lines with ``%.6f`` scores,
  formatted a block at a time, into a temporary name renamed on success.

Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> t, s = os.path.join(d, "trials"), os.path.join(d, "scores")
    >>> _ = open(t, "w").write("a b target\\na c nontarget\\nb c nontarget\\n")
    >>> _ = open(s, "w").write("a b 0.9\\na c 0.1\\nb c -0.25\\n")
    >>> [(b.trials.start, b.trials.labels.tolist(), b.scores.tolist())
    ...  for b in iter_matched_scores(t, s, block_size=2)]
    [(0, [1, 0], [0.9, 0.1]), (2, [0], [-0.25])]
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from TrainAndTest.io.embeddings import EmbeddingError
from TrainAndTest.io.trials import (
    _KALDI_LABELS,
    _VOX_LABELS,
    PathLike,
    TrialsError,
    _examples,
    _trial_format,
)

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


@dataclass
class MatchedBlock:
    """A block of trials with their scores.

    Attributes:
        trials: the trials (a :class:`TrialBlock`).
        scores: float64 per trial; NaN where the trial has no score.
        kept: bool per trial, True where it has a score.
    """

    trials: TrialBlock
    scores: np.ndarray
    kept: np.ndarray


@dataclass
class MatchReport:
    """What :func:`iter_matched_scores` found, filled in as the blocks are read.

    Attributes:
        n_trials: trials read.
        missing: trials without a score; ``missing_examples`` names the first few.
        extra: score lines whose pair is not in the list; ``extra_examples`` names a few.
        lockstep: True while the score file is in trial order (no table was built).
    """

    n_trials: int = 0
    missing: int = 0
    missing_examples: List[str] = field(default_factory=list)
    extra: int = 0
    extra_examples: List[str] = field(default_factory=list)
    lockstep: bool = True


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
    # A Python file object and 4 MiB blocks: Arrow's own file readers read far ahead
    # (hundreds of MB in flight), which is what the block size is meant to prevent.
    with open(path, "rb") as f:
        try:
            reader = pa_csv.open_csv(
                f,
                read_options=pa_csv.ReadOptions(column_names=list(names), block_size=1 << 22,
                                                use_threads=True),
                parse_options=pa_csv.ParseOptions(delimiter=" ", quote_char=False,
                                                  double_quote=False, escape_char=False,
                                                  ignore_empty_lines=False),
                convert_options=pa_csv.ConvertOptions(column_types=types,
                                                      strings_can_be_null=False),
            )
        except pa.ArrowInvalid:  # the first block is read on opening
            raise _NeedsLineParserError from None
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid:
                raise _NeedsLineParserError from None
            yield batch


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


class IdVocabulary:
    """Distinct ids mapped to consecutive integers, built from Arrow string arrays.

    Lookups are Arrow's ``index_in`` (a C++ hash of the vocabulary per call: 0.3 s for
    250k ids against 100k, about 3x faster than a Python dict over the block's distinct
    ids on this machine).

    Example:
        >>> v = IdVocabulary()
        >>> v.add(pa.array(["b", "a", "b"]))
        >>> v.codes(pa.array(["a", "c", "b"])).tolist(), len(v)
        ([1, -1, 0], 2)
    """

    def __init__(self, ids: Optional[Sequence[str]] = None):
        self._ids: List[str] = []
        self._index: Dict[str, int] = {}
        self._arrow: Optional[pa.Array] = None
        for k in ids or []:
            self._index.setdefault(k, len(self._ids))
            if len(self._index) > len(self._ids):
                self._ids.append(k)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: pa.Array) -> None:
        """Give every new id in ``ids`` the next free code (in order of first appearance)."""
        for u in pc.unique(_plain(ids)).to_pylist():
            if u not in self._index:
                self._index[u] = len(self._ids)
                self._ids.append(u)
                self._arrow = None

    def codes(self, ids: pa.Array) -> np.ndarray:
        """int64 code of each id, -1 where the id is not in the vocabulary."""
        if self._arrow is None:
            self._arrow = pa.array(self._ids, pa.string())
        idx = pc.index_in(ids, value_set=self._arrow).fill_null(-1)
        return idx.to_numpy(zero_copy_only=False).astype(np.int64)

    def strings(self, codes: np.ndarray) -> List[str]:
        """The ids of ``codes``."""
        return [self._ids[int(c)] for c in codes]


def _pairs(e: pa.Array, t: pa.Array, rows: np.ndarray) -> List[str]:
    rows = pa.array(np.asarray(rows, dtype=np.int64))
    return [f"{a} {b}" for a, b in zip(e.take(rows).to_pylist(), t.take(rows).to_pylist())]


class _ScoreTable:
    """A score file as sorted integer pair keys, for lists in another order."""

    def __init__(self, path: PathLike, block_size: int, matched_lines: int):
        self.path = path
        self.vocab = IdVocabulary()
        codes_e, codes_t, values = [], [], []
        for b in iter_score_blocks(path, block_size):
            self.vocab.add(pa.concat_arrays([b.enrol, b.test]))
            codes_e.append(self.vocab.codes(b.enrol).astype(np.int32))
            codes_t.append(self.vocab.codes(b.test).astype(np.int32))
            values.append(b.scores)
        self.v = max(len(self.vocab), 1)
        key = np.concatenate(codes_e).astype(np.int64) * self.v + np.concatenate(codes_t)
        del codes_e, codes_t
        self.order = np.argsort(key, kind="stable")
        self.keys = key[self.order]
        del key
        self.values = np.concatenate(values)[self.order]
        dup = np.flatnonzero(self.keys[1:] == self.keys[:-1])
        if dup.size:
            line = int(self.order[dup + 1].min())
            k = int(self.keys[np.flatnonzero(self.order == line)[0]])
            e, t = self.vocab.strings([k // self.v, k % self.v])
            raise TrialsError(f"{path}:{line + 1}: pair {e} {t} scored twice")
        # Lines matched in lockstep before the table was needed are used already.
        self.used = self.order < matched_lines

    def lookup(self, enrol: pa.Array, test: pa.Array) -> Tuple[np.ndarray, np.ndarray]:
        """(scores, found) of pairs; marks found lines used."""
        e, t = self.vocab.codes(enrol), self.vocab.codes(test)
        key = e * self.v + t
        pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        found = (e >= 0) & (t >= 0) & (self.keys[pos] == key)
        out = np.full(len(key), np.nan)
        out[found] = self.values[pos[found]]
        self.used[pos[found]] = True
        return out, found

    def unused(self) -> Tuple[int, List[str]]:
        """Count and examples (first in file order) of lines no trial used."""
        sel = np.flatnonzero(~self.used)
        first = sel[np.argsort(self.order[sel], kind="stable")[:5]]
        keys = self.keys[first]
        names = self.vocab.strings(np.concatenate([keys // self.v, keys % self.v]))
        k = len(keys)
        return len(sel), [f"{a} {b}" for a, b in zip(names[:k], names[k:])]


def _same_pairs(tb: TrialBlock, sb: ScoreBlock, n: int) -> bool:
    """True when the first ``n`` pairs of both blocks are equal."""
    return bool(pc.all(pc.and_(pc.equal(tb.enrol.slice(0, n), sb.enrol.slice(0, n)),
                               pc.equal(tb.test.slice(0, n), sb.test.slice(0, n)))).as_py())


def iter_matched_scores(
    trials_path: PathLike,
    scores_path: PathLike,
    block_size: int = DEFAULT_BLOCK_SIZE,
    allow_missing: bool = False,
    report: Optional[MatchReport] = None,
) -> Iterator[MatchedBlock]:
    """Blocks of a trial list with the score of each trial, looked up by (enrol, test).

    Args:
        trials_path: a trial list (any format of :func:`iter_trial_blocks`).
        scores_path: an ``enrol test score`` file, in trial order or not.
        block_size: trials per block.
        allow_missing: trials without a score come with ``kept`` False instead of an error
            at the end.
        report: filled with counts and examples of missing and extra pairs.

    Yields:
        :class:`MatchedBlock` per block of the trial list, in list order.

    Raises:
        TrialsError: malformed lines (``file:line``), a pair scored twice (``file:line``),
        and, after the last block unless ``allow_missing``, trials without a score (count
        and examples).
    """
    rep = report if report is not None else MatchReport()
    scores = iter_score_blocks(scores_path, block_size)
    mode = "lockstep"  # -> "ended" (score file ended, in order) or "table"
    table: Optional[_ScoreTable] = None
    matched_lines = 0
    leftover: Optional[ScoreBlock] = None  # lines after the list's last trial
    for tb in iter_trial_blocks(trials_path, block_size):
        n = len(tb)
        rep.n_trials += n
        if mode == "lockstep":
            sb = next(scores, None)
            m = 0 if sb is None else len(sb)
            if m and _same_pairs(tb, sb, min(n, m)):
                matched_lines += min(n, m)
                if m >= n:  # m > n only for the list's last block
                    if m > n:
                        leftover = ScoreBlock(sb.enrol.slice(n), sb.test.slice(n),
                                              sb.scores[n:], sb.start + n)
                    yield MatchedBlock(tb, sb.scores[:n], np.ones(n, dtype=bool))
                    continue
                # The score file's last block is short: the rest of the list has no score.
                values = np.full(n, np.nan)
                values[:m] = sb.scores
                kept = np.arange(n) < m
                _note_missing(rep, tb, kept)
                mode = "ended"
                yield MatchedBlock(tb, values, kept)
                continue
            if sb is None:
                mode = "ended"
            else:
                mode = "table"
                rep.lockstep = False
                scores.close()
                table = _ScoreTable(scores_path, block_size, matched_lines)
        if mode == "ended":
            values, kept = np.full(n, np.nan), np.zeros(n, dtype=bool)
        else:
            values, kept = table.lookup(tb.enrol, tb.test)
        _note_missing(rep, tb, kept)
        yield MatchedBlock(tb, values, kept)
    if mode == "table":
        rep.extra, rep.extra_examples = table.unused()
    elif mode == "lockstep":
        rest = itertools.chain([leftover] if leftover is not None else [], scores)
        for sb in rest:
            if len(rep.extra_examples) < 5:
                rep.extra_examples += _pairs(
                    sb.enrol, sb.test, np.arange(min(5 - len(rep.extra_examples), len(sb))))
            rep.extra += len(sb)
    if rep.missing and not allow_missing:
        raise TrialsError(
            f"{rep.missing} of {rep.n_trials} trials in {trials_path} have no score in "
            f"{scores_path} (e.g. {_examples(rep.missing_examples)}); pass --allow-missing "
            "to drop them")


def _note_missing(rep: MatchReport, tb: TrialBlock, kept: np.ndarray) -> None:
    miss = np.flatnonzero(~kept)
    rep.missing += len(miss)
    if len(miss) and len(rep.missing_examples) < 6:
        rep.missing_examples += _pairs(tb.enrol, tb.test, miss[:6 - len(rep.missing_examples)])


def warn_extra(rep: MatchReport, scores_path: PathLike) -> Optional[str]:
    """A warning line naming score lines of no trial, or None when there are none."""
    if not rep.extra:
        return None
    return (f"{rep.extra} lines of {scores_path} score pairs that are not in the trial list "
            f"(e.g. {_examples(rep.extra_examples)}); they were ignored")


def id_rows(ids: pa.Array, index: IdVocabulary) -> np.ndarray:
    """Row of each id in ``index`` (an :class:`IdVocabulary` of ids in row order), -1 if absent.

    Example:
        >>> id_rows(pa.array(["b", "x"]), IdVocabulary(["a", "b"])).tolist()
        [1, -1]
    """
    return index.codes(ids)


def _format_fixed6(values: np.ndarray) -> pa.Array:
    """``'%.6f' % v`` of every value, vectorised (exact; Python formats the rare edge cases)."""
    v = np.asarray(values, dtype=np.float64)
    mag = np.abs(v)
    scaled = mag * 1e6
    r = np.rint(scaled)
    # Near a half (within the rounding error of mag * 1e6), or too large: Python decides.
    hard = (np.abs(scaled - np.floor(scaled) - 0.5) < np.maximum(1e-6, scaled * 1e-15)) \
        | (mag >= 1e9)
    r[hard] = 0
    ri = r.astype(np.int64)
    ip = pc.cast(pa.array(ri // 1_000_000), pa.string())
    fp = pc.utf8_lpad(pc.cast(pa.array(ri % 1_000_000), pa.string()), 6, "0")
    sign = pa.array(np.where(np.signbit(v), "-", ""))
    text = pc.binary_join_element_wise(sign, ip, ".", fp, "")
    if hard.any():
        text = text.to_numpy(zero_copy_only=False).astype(object)
        for i in np.flatnonzero(hard):
            text[i] = f"{v[i]:.6f}"
        text = pa.array(text, pa.string())
    return text


class ScoreWriter:
    """Write ``enrol test score`` lines block by block into ``path`` (temp name, renamed).

    Use as a context manager: the file appears under its name only when the block exits
    without an exception; otherwise the temporary file is removed.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "scores")
        >>> with ScoreWriter(p) as w:
        ...     w.write(pa.array(["a"]), pa.array(["b"]), np.array([-0.5]))
        >>> open(p).read()
        'a b -0.500000\\n'
    """

    def __init__(self, path: PathLike):
        self.path = os.fspath(path)
        self.tmp = f"{self.path}.tmp{os.getpid()}"
        self.count = 0
        self._f = None

    def __enter__(self) -> ScoreWriter:
        self._f = open(self.tmp, "wb")
        return self

    def write(self, enrol, test, scores: np.ndarray) -> None:
        """Append one line per score; ids are Arrow arrays or lists of str.

        Raises:
            ValueError: a NaN or infinite score, naming its trial.
        """
        scores = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(scores)):
            bad = int(np.flatnonzero(~np.isfinite(scores))[0])
            e = enrol[bad].as_py() if isinstance(enrol, pa.Array) else enrol[bad]
            t = test[bad].as_py() if isinstance(test, pa.Array) else test[bad]
            raise ValueError(f"{self.path}: score of trial {e} {t} is {scores[bad]}")
        if not len(scores):
            return
        enrol = enrol if isinstance(enrol, pa.Array) else pa.array(enrol, pa.string())
        test = test if isinstance(test, pa.Array) else pa.array(test, pa.string())
        lines = pc.binary_join_element_wise(enrol, test, _format_fixed6(scores), " ")
        lines = pc.binary_join_element_wise(lines, "\n", "")
        for view in _string_bytes(lines):
            self._f.write(view)
        self.count += len(scores)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._f.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            try:
                os.remove(self.tmp)
            except OSError:
                pass


def _string_bytes(arr) -> List[memoryview]:
    """The concatenated UTF-8 bytes of a string array, as views (no copy per element)."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    out = []
    for a in chunks:
        if not len(a):
            continue
        off_t = np.int64 if a.type == pa.large_string() else np.int32
        offsets = np.frombuffer(a.buffers()[1], dtype=off_t)[a.offset:a.offset + len(a) + 1]
        out.append(memoryview(a.buffers()[2])[int(offsets[0]):int(offsets[-1])])
    return out


class EmbeddingRows:
    """Embedding rows of streamed trials, counting trials whose ids have no embedding.

    Args:
        enrol_ids, test_ids: the ids of the enrolment and test embedding matrices, in
            row order (the same list for one embedding set).
        trials_path: for messages.

    Example:
        >>> rows = EmbeddingRows(["a", "b"], ["a", "b"], "trials")
        >>> tb = TrialBlock(pa.array(["a", "x"]), pa.array(["b", "b"]),
        ...                 np.array([1, 0], dtype=np.int8), 0)
        >>> e, t, kept = rows.block(tb)
        >>> e.tolist(), t.tolist(), kept.tolist(), rows.missing_trials
        ([0], [1], [True, False], 1)
    """

    def __init__(self, enrol_ids: Sequence[str], test_ids: Sequence[str], trials_path: str):
        self.enrol_ids = IdVocabulary(enrol_ids)
        self.test_ids = self.enrol_ids if test_ids is enrol_ids else IdVocabulary(test_ids)
        self.trials_path = trials_path
        self.n_trials = 0
        self.missing_trials = 0
        self.missing_ids: set = set()

    def block(self, tb: TrialBlock) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(enrol_rows, test_rows, kept)``: rows of the kept trials and the kept mask."""
        e = id_rows(tb.enrol, self.enrol_ids)
        t = id_rows(tb.test, self.test_ids)
        kept = (e >= 0) & (t >= 0)
        self.n_trials += len(kept)
        if not kept.all():
            self.missing_trials += int((~kept).sum())
            if len(self.missing_ids) < 1000:
                for col, rows in ((tb.enrol, e), (tb.test, t)):
                    bad = pa.array(np.flatnonzero(rows < 0))
                    self.missing_ids.update(pc.unique(col.take(bad)).to_pylist())
        return e[kept], t[kept], kept

    def check(self, allow_missing: bool) -> None:
        """Raise ``EmbeddingError`` for trials without embeddings unless ``allow_missing``."""
        if self.missing_trials and not allow_missing:
            ids = sorted(self.missing_ids)
            raise EmbeddingError(
                f"{self.missing_trials} of {self.n_trials} trials in {self.trials_path} name "
                f"{len(ids)}{'+' if len(ids) >= 1000 else ''} ids with no embedding "
                f"(e.g. {_examples(ids)}); pass --allow-missing to drop those trials")
