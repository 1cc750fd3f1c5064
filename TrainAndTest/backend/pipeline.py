"""A trained scoring back-end: transforms + PLDA, saved to and loaded from one ``.npz``.

The Kaldi recipe chain is mean subtraction, LDA, length normalisation and the
two-covariance PLDA (``plda_type='kaldi'``); the SpeechBrain chain is the simplified PLDA on
the raw vectors (``plda_type='simplified'``, ``lda_dim=0``, ``length_norm=False``).

Example:
    >>> import numpy as np, tempfile, os
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(30), 4)
    >>> x = rng.normal(size=(30, 6))[y] * 3 + rng.normal(size=(120, 6))
    >>> b = PldaBackend(lda_dim=4).fit(x, y)
    >>> p = os.path.join(tempfile.mkdtemp(), "backend.npz")
    >>> b.save(p)
    >>> s = PldaBackend.load(p).score_pairs(x[[0, 0]], x[[1, 119]])
    >>> bool(s[0] > s[1])
    True
"""

from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

from Process_Data.data_dir import atomic_savez
from TrainAndTest.backend.pair_scores import PairTerms, in_row_chunks
from TrainAndTest.backend.plda_kaldi import KaldiPlda
from TrainAndTest.backend.plda_simplified import SimplifiedPlda
from TrainAndTest.backend.transforms import TRANSFORMS, Lda, LengthNorm, MeanSubtraction, Transform

PLDA_TYPES = {"kaldi": KaldiPlda, "simplified": SimplifiedPlda}


class PldaBackend:
    """Transforms followed by a PLDA model.

    Args:
        plda_type: ``kaldi`` (two-covariance) or ``simplified`` (SIDEKIT/SpeechBrain).
        lda_dim: LDA output dimension; 0 disables LDA.
        length_norm: length-normalise after LDA (Kaldi ``ivector-normalize-length``).
        num_em_iters: EM iterations of either PLDA.
        rank_f: speaker-subspace rank of the simplified PLDA.
    """

    def __init__(self, plda_type: str = "kaldi", lda_dim: int = 200, length_norm: bool = True,
                 num_em_iters: int = 10, rank_f: int = 100):
        if plda_type not in PLDA_TYPES:
            raise ValueError(f"unknown plda_type '{plda_type}'; valid: {', '.join(PLDA_TYPES)}")
        self.plda_type = plda_type
        self.lda_dim = int(lda_dim)
        self.length_norm = bool(length_norm)
        self.num_em_iters = int(num_em_iters)
        self.rank_f = int(rank_f)
        self.transforms: List[Transform] = []
        self.plda = None

    def fit(self, x: np.ndarray, labels: Sequence) -> PldaBackend:
        """Fit the transforms, then the PLDA on the transformed training vectors."""
        x = np.asarray(x, dtype=np.float64)
        chain: List[Transform] = []
        if self.plda_type == "kaldi" or self.lda_dim > 0 or self.length_norm:
            chain.append(MeanSubtraction())
        if self.lda_dim > 0:
            chain.append(Lda(self.lda_dim))
        if self.length_norm:
            chain.append(LengthNorm())
        for t in chain:
            x = t.fit(x, labels).transform(x)
        self.transforms = chain
        if self.plda_type == "kaldi":
            self.plda = KaldiPlda(num_em_iters=self.num_em_iters).fit(x, labels)
        else:
            rank = min(self.rank_f, x.shape[1])
            self.plda = SimplifiedPlda(rank_f=rank, nb_iter=self.num_em_iters).fit(x, labels)
        return self

    def apply_transforms(self, x: np.ndarray) -> np.ndarray:
        """The vectors after every transform (the PLDA's input space)."""
        x = np.asarray(x, dtype=np.float64)
        for t in self.transforms:
            x = t.transform(x)
        return x

    def score_pairs(self, enrol: np.ndarray, test: np.ndarray, num_utts=1,
                    block_size: int = 65536) -> np.ndarray:
        """PLDA LLRs of row pairs; ``num_utts`` enrolment utterances (Kaldi scoring only)."""
        n = len(enrol)
        out = np.empty(n)
        nu = np.broadcast_to(np.asarray(num_utts, dtype=np.float64), (n,))
        for s in range(0, n, block_size):
            e = self.apply_transforms(enrol[s:s + block_size])
            t = self.apply_transforms(test[s:s + block_size])
            if self.plda_type == "kaldi":
                out[s:s + len(e)] = self.plda.score_pairs(e, t, nu[s:s + len(e)])
            else:
                out[s:s + len(e)] = self.plda.score_pairs(e, t)
        return out

    def score_trials(self, enrol: np.ndarray, test: np.ndarray, enrol_idx: np.ndarray,
                     test_idx: np.ndarray, num_utts=1, block_size: int = 65536) -> np.ndarray:
        """Scores of trials ``(enrol[enrol_idx[i]], test[test_idx[i]])``.

        Each embedding is transformed once (not once per trial), then trials are scored in
        blocks of gathered rows; ``num_utts`` is per enrolment row (scalar or
        ``[len(enrol)]``).
        """
        enrol_idx = np.asarray(enrol_idx, dtype=np.int64)
        test_idx = np.asarray(test_idx, dtype=np.int64)
        nu = np.broadcast_to(np.asarray(num_utts, dtype=np.float64), (len(enrol),))
        e = self.apply_transforms(enrol)
        t = e if test is enrol else self.apply_transforms(test)
        if self.plda_type == "kaldi":
            # Kaldi normalises an enrolment vector with its own num_utts.
            e = self.plda.transform_vectors(e, nu)
            t = self.plda.transform_vectors(t, 1)
        out = np.empty(len(enrol_idx))
        for s in range(0, len(enrol_idx), block_size):
            ei, ti = enrol_idx[s:s + block_size], test_idx[s:s + block_size]
            if self.plda_type == "kaldi":
                out[s:s + len(ei)] = self.plda.llr_pairs(e[ei], t[ti], nu[ei])
            else:
                out[s:s + len(ei)] = self.plda.score_pairs(e[ei], t[ti])
        return out

    def pair_terms(self, enrol: np.ndarray, test: np.ndarray, num_utts=1) -> PairTerms:
        """The PLDA score of every (enrolment row, test row) pair as per-utterance terms.

        The transform chain and the PLDA's own transform run once per embedding (in row
        chunks, so the float64 temporaries stay small); a trial is then one gathered dot
        product (:meth:`PairTerms.score
        <TrainAndTest.backend.pair_scores.PairTerms.score>`), equal to
        :meth:`score_trials` up to float64 rounding.

        Args:
            enrol, test: raw embeddings (``test`` may be the same array as ``enrol``).
            num_utts: enrolment utterance count per row (Kaldi scoring only).

        Example:
            >>> import numpy as np
            >>> rng = np.random.default_rng(0)
            >>> y = np.repeat(np.arange(10), 4)
            >>> x = rng.normal(size=(10, 5))[y] * 3 + rng.normal(size=(40, 5))
            >>> b = PldaBackend(lda_dim=3).fit(x, y)
            >>> i, j = np.array([0, 1, 2]), np.array([1, 39, 2])
            >>> bool(np.allclose(b.pair_terms(x, x).score(i, j), b.score_trials(x, x, i, j)))
            True
        """
        nu = np.broadcast_to(np.asarray(num_utts, dtype=np.float64), (len(enrol),))
        if self.plda_type != "kaldi":
            e = in_row_chunks(self.apply_transforms, enrol)
            t = e if test is enrol else in_row_chunks(self.apply_transforms, test)
            return self.plda.pair_terms(e, t)

        def enrol_rows(r):
            return self.plda.transform_vectors(self.apply_transforms(enrol[r]), nu[r])

        def test_rows(x):
            return self.plda.transform_vectors(self.apply_transforms(x), 1)

        e_t = in_row_chunks(enrol_rows, np.arange(len(enrol)))
        same = test is enrol and not np.any(nu != 1)
        t_t = e_t if same else in_row_chunks(test_rows, test)
        return self.plda.pair_terms(e_t, t_t, nu)

    def score_matrix(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Scores of every row of ``a`` against every row of ``b`` (for cohorts)."""
        ea, eb = self.apply_transforms(a), self.apply_transforms(b)
        if self.plda_type == "simplified":
            return self.plda.score_matrix(ea, eb)
        ta = self.plda.transform_vectors(ea, 1)
        tb = self.plda.transform_vectors(eb, 1)
        return self.plda.llr_matrix(ta, tb)

    def save(self, path) -> None:
        """Write every parameter to ``path`` (.npz), atomically."""
        arrays: Dict[str, np.ndarray] = {
            "plda_type": np.asarray(self.plda_type),
            "chain": np.asarray([_name(t) for t in self.transforms] or [""]),
            "options": np.asarray([self.lda_dim, int(self.length_norm), self.num_em_iters,
                                   self.rank_f]),
        }
        for i, t in enumerate(self.transforms):
            for k, v in t.state().items():
                arrays[f"t{i}.{k}"] = np.asarray(v)
        for k, v in self.plda.state().items():
            arrays[f"plda.{k}"] = np.asarray(v)
        atomic_savez(path, arrays)

    @classmethod
    def load(cls, path) -> PldaBackend:
        """Read a back-end written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            lda_dim, ln, iters, rank = (int(v) for v in z["options"])
            obj = cls(str(z["plda_type"]), lda_dim, bool(ln), iters, rank)
            for i, name in enumerate(str(n) for n in z["chain"] if str(n)):
                prefix = f"t{i}."
                state = {k[len(prefix):]: z[k] for k in z.files if k.startswith(prefix)}
                obj.transforms.append(TRANSFORMS.get(name).from_state(state))
            state = {k[5:]: z[k] for k in z.files if k.startswith("plda.")}
            obj.plda = PLDA_TYPES[obj.plda_type].from_state(state)
        return obj


def _name(t: Transform) -> str:
    for name, cls in TRANSFORMS.items():
        if type(t) is cls:
            return name
    raise ValueError(f"transform {type(t).__name__} is not registered")
