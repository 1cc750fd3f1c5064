"""Trial lists and score files streamed in blocks, with memory bounded by the block.

:mod:`TrainAndTest.io.trials` reads a whole list into Python lists of strings (about 380
bytes per trial once matched); the streamed readers and writers read and write the same
files (same formats, same ``file:line`` errors) ``block_size`` lines at a time. One
concept per module, gathered here so that an entry point imports one place:

* :mod:`~TrainAndTest.io.trial_blocks`: trial lists and score files as blocks of Arrow
  ids and numpy labels or scores (:func:`iter_trial_blocks`, :func:`iter_score_blocks`).
* :mod:`~TrainAndTest.io.id_index`: ids mapped to integer rows once
  (:class:`IdVocabulary`, :class:`EmbeddingRows`).
* :mod:`~TrainAndTest.io.score_match`: a score file matched to a list by (enrol, test),
  missing and extra pairs named (:func:`iter_matched_scores`).
* :mod:`~TrainAndTest.io.score_writer`: ``enrol test score`` lines written block by block
  into a temporary name renamed when complete (:class:`ScoreWriter`).

Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> t, s = os.path.join(d, "trials"), os.path.join(d, "scores")
    >>> _ = open(t, "w").write("a b target\\na c nontarget\\n")
    >>> with ScoreWriter(s) as w:
    ...     for b in iter_trial_blocks(t, block_size=1):
    ...         w.write(b.enrol, b.test, b.labels * 0.5)
    >>> open(s).read()
    'a b 0.500000\\na c 0.000000\\n'
"""

from TrainAndTest.io.id_index import EmbeddingRows, IdVocabulary, id_rows
from TrainAndTest.io.score_match import (
    MatchedBlock,
    MatchReport,
    iter_matched_scores,
    warn_extra,
)
from TrainAndTest.io.score_writer import ScoreWriter
from TrainAndTest.io.trial_blocks import (
    DEFAULT_BLOCK_SIZE,
    ScoreBlock,
    TrialBlock,
    iter_score_blocks,
    iter_trial_blocks,
    trial_format,
)

__all__ = [
    "DEFAULT_BLOCK_SIZE", "EmbeddingRows", "IdVocabulary", "MatchReport", "MatchedBlock",
    "ScoreBlock", "ScoreWriter", "TrialBlock", "id_rows", "iter_matched_scores",
    "iter_score_blocks", "iter_trial_blocks", "trial_format", "warn_extra",
]
