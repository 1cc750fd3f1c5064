"""Score a trial list block by block into a score file: the loop every pair scorer shares.

A block of the list (:func:`~TrainAndTest.io.trial_blocks.iter_trial_blocks`, read ahead
in a background thread) has its ids mapped to embedding rows in one vectorised lookup
(:class:`~TrainAndTest.io.id_index.EmbeddingRows`), is scored with one call of the
scorer on the row indices, and is written with a vectorised formatter
(:class:`~TrainAndTest.io.score_writer.ScoreWriter`, temporary name renamed when
complete). Memory is the scorer's per-utterance terms plus a few blocks, whatever the
length of the list.

Example:
    >>> import os, tempfile, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "trials"), "w").write("a b target\\na c nontarget\\n")
    >>> emb = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> from TrainAndTest.backend.cosine import gathered_dots
    >>> def dots(e, t):
    ...     return gathered_dots(emb, emb, e, t)
    >>> score_trial_list(os.path.join(d, "trials"), os.path.join(d, "scores"),
    ...                  ["a", "b", "c"], ["a", "b", "c"], dots)
    (2, 0)
    >>> open(os.path.join(d, "scores")).read()
    'a b 1.000000\\na c 0.000000\\n'
"""

from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import numpy as np

from TrainAndTest.io.embeddings import EmbeddingError
from TrainAndTest.io.id_index import EmbeddingRows
from TrainAndTest.io.prefetch import prefetched
from TrainAndTest.io.score_writer import ScoreWriter
from TrainAndTest.io.trial_blocks import DEFAULT_BLOCK_SIZE, iter_trial_blocks
from TrainAndTest.io.trials import PathLike, TrialsError

PairScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``(enrol_rows, test_rows) -> scores``: float64, one per trial."""


def score_trial_list(
    trials_path: PathLike,
    scores_path: PathLike,
    enrol_ids: Sequence[str],
    test_ids: Sequence[str],
    score_pairs: PairScorer,
    block_size: int = DEFAULT_BLOCK_SIZE,
    allow_missing: bool = False,
) -> Tuple[int, int]:
    """Write ``enrol test score`` for every trial of ``trials_path`` into ``scores_path``.

    Args:
        trials_path: a trial list (Kaldi, VoxCeleb or unlabelled format).
        scores_path: the score file; it appears only when every block is written.
        enrol_ids, test_ids: the ids of the rows ``score_pairs`` indexes (pass the same
            list object twice for one embedding set).
        score_pairs: the scorer, called once per block on row indices.
        block_size: trials read, scored and written at a time.
        allow_missing: drop trials naming an id without an embedding instead of failing.

    Returns:
        ``(trials written, trials dropped)``.

    Raises:
        EmbeddingError: trials naming ids without an embedding (count and examples),
            unless ``allow_missing``; nothing is written then.
        TrialsError: ``file:line`` of a malformed line of the list.
    """
    rows = EmbeddingRows(enrol_ids, test_ids, str(trials_path))

    def with_rows():
        for tb in iter_trial_blocks(trials_path, block_size):
            yield tb, rows.block(tb)

    dropped = 0
    with ScoreWriter(scores_path) as out:
        for tb, (e_idx, t_idx, kept) in prefetched(with_rows()):
            dropped += len(kept) - len(e_idx)
            if dropped and not allow_missing:
                continue  # counted for the error below; nothing is written
            scores = score_pairs(e_idx, t_idx)
            if len(e_idx) == len(kept):
                out.write(tb.enrol, tb.test, scores)
            else:
                out.write(tb.enrol.filter(kept), tb.test.filter(kept), scores)
        rows.check(allow_missing)
    return out.count, dropped


def run_pair_scoring(
    prog: str,
    trials_path: PathLike,
    scores_path: PathLike,
    build: Callable[[], Tuple[Sequence[str], Sequence[str], PairScorer]],
    block_size: int = DEFAULT_BLOCK_SIZE,
    allow_missing: bool = False,
) -> Tuple[int, List[str]]:
    """An entry point's whole run: build the scorer, score the list, say what happened.

    Args:
        prog: the entry point's name, first word of every message.
        build: reads the inputs and returns ``(enrol_ids, test_ids, score_pairs)``.
        Others: as :func:`score_trial_list`.

    Returns:
        ``(exit code, messages for stderr)``: 1 and one ``ERROR`` line naming the file
        (and line) for bad inputs; 0 and the count of scored (and dropped) trials.
    """
    try:
        enrol_ids, test_ids, score_pairs = build()
        count, dropped = score_trial_list(trials_path, scores_path, enrol_ids, test_ids,
                                          score_pairs, block_size, allow_missing)
    except (TrialsError, EmbeddingError, ValueError, OSError, KeyError) as e:
        return 1, [f"{prog}: ERROR: {e}"]
    lines = [f"{prog}: scored {count} trials"]
    if dropped:
        lines.insert(0, f"{prog}: WARNING: dropped {dropped} trials without embeddings "
                        "(--allow-missing)")
    return 0, lines
