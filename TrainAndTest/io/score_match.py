"""A score file matched to a trial list block by block: scores per trial, missing and extra
pairs named.

The score file is normally in trial order, so blocks of both files are compared in
lockstep (``O(block)`` memory). At the first block whose (enrol, test) pairs differ, the
score file is read again into a sorted table of integer pair keys (about 32 bytes per
score line at its peak, plus the distinct ids once) and the rest of the list is looked
up in it. Trials without a score and score lines of no trial are counted and named.

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
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from TrainAndTest.io.id_index import IdVocabulary
from TrainAndTest.io.trial_blocks import (
    DEFAULT_BLOCK_SIZE,
    ScoreBlock,
    TrialBlock,
    iter_score_blocks,
    iter_trial_blocks,
)
from TrainAndTest.io.trials import PathLike, TrialsError, _examples


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
