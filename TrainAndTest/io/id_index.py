"""Utterance ids mapped to integer rows once, for blocks of a trial list.

:class:`IdVocabulary` holds the distinct ids of a set (an embedding matrix's rows, the
ids of a score file) and maps an Arrow string array to their codes in one vectorised
lookup; :class:`EmbeddingRows` turns a block of trials into enrolment and test rows of
the embedding matrices and counts (and names) trials whose ids have no embedding.

Example:
    >>> import pyarrow as pa
    >>> IdVocabulary(["a", "b"]).codes(pa.array(["b", "x"])).tolist()
    [1, -1]
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from TrainAndTest.io.embeddings import EmbeddingError
from TrainAndTest.io.trial_blocks import TrialBlock, _plain
from TrainAndTest.io.trials import _examples


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


def id_rows(ids: pa.Array, index: IdVocabulary) -> np.ndarray:
    """Row of each id in ``index`` (an :class:`IdVocabulary` of ids in row order), -1 if absent.

    Example:
        >>> id_rows(pa.array(["b", "x"]), IdVocabulary(["a", "b"])).tolist()
        [1, -1]
    """
    return index.codes(ids)


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
