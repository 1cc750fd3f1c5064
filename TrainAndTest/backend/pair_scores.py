"""Trial scores as one dot product per trial: the per-utterance work done once.

Both PLDA log-likelihood ratios are quadratic forms in the enrolment and test vectors, so
they split into terms of one side only and a bilinear cross term:

    score(e, t) = enrol_bias[e] + test_bias[t] + enrol_vecs[e] . test_vecs[t]

:class:`PairTerms` holds those terms, computed once per utterance (there are far fewer
utterances than trials); scoring a block of trials is then a gather of two rows and a
row-wise dot product (:func:`TrainAndTest.backend.cosine.gathered_dots`), like cosine
scoring. The Kaldi PLDA's terms are in :meth:`KaldiPlda.pair_terms
<TrainAndTest.backend.plda_kaldi.KaldiPlda.pair_terms>`, the simplified PLDA's in
:meth:`SimplifiedPlda.pair_terms
<TrainAndTest.backend.plda_simplified.SimplifiedPlda.pair_terms>`; the per-pair formulas
(``llr_pairs``, ``score_pairs``) stay as the reference the tests compare with.

Example:
    >>> import numpy as np
    >>> terms = PairTerms(np.eye(2), np.array([[1.0, 2.0]]), np.array([0.5, 0.0]),
    ...                   np.array([-1.0]))
    >>> terms.score(np.array([0, 1]), np.array([0, 0])).tolist()
    [0.5, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from TrainAndTest.backend.cosine import gathered_dots


@dataclass
class PairTerms:
    """Per-utterance terms of a score that is a quadratic form of (enrolment, test).

    Attributes:
        enrol_vecs: ``[n_enrol, k]`` float64.
        test_vecs: ``[n_test, k]`` float64.
        enrol_bias: ``[n_enrol]`` float64, the enrolment-only terms and constants.
        test_bias: ``[n_test]`` float64, the test-only terms.
    """

    enrol_vecs: np.ndarray
    test_vecs: np.ndarray
    enrol_bias: np.ndarray
    test_bias: np.ndarray

    def score(self, enrol_idx: np.ndarray, test_idx: np.ndarray) -> np.ndarray:
        """Scores of trials ``(enrol_idx[i], test_idx[i])`` (rows of the term matrices).

        Returns:
            float64 ``[n_trials]``.
        """
        enrol_idx = np.asarray(enrol_idx, dtype=np.int64)
        test_idx = np.asarray(test_idx, dtype=np.int64)
        out = gathered_dots(self.enrol_vecs, self.test_vecs, enrol_idx, test_idx)
        out += self.enrol_bias[enrol_idx]
        out += self.test_bias[test_idx]
        return out


def in_row_chunks(fn, x: np.ndarray, rows: int = 16384) -> np.ndarray:
    """``fn`` (a row-wise map) applied ``rows`` rows at a time, so its float64 temporaries
    stay small for a large matrix; the same values as ``fn(x)``.

    Example:
        >>> in_row_chunks(lambda a: a * 2, np.arange(6.0).reshape(3, 2), rows=2).tolist()
        [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]
    """
    if len(x) <= rows:
        return fn(x)
    first = fn(x[:rows])
    out = np.empty((len(x),) + first.shape[1:], dtype=first.dtype)
    out[:rows] = first
    for s in range(rows, len(x), rows):
        out[s:s + rows] = fn(x[s:s + rows])
    return out
