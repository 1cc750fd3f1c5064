"""Two-covariance PLDA with the semantics of Kaldi's ``ivector-compute-plda`` and
``ivector-plda-scoring``.

Model: a speaker mean ``y ~ N(mu, B)`` (between-class) and an utterance
``x = y + e, e ~ N(0, W)`` (within-class). :meth:`KaldiPlda.fit` runs Kaldi's EM
(``PldaEstimator``: start from ``W = B = I``; each iteration uses the intra-class scatter
plus each speaker's mean treated as one observation with noise ``W / n``), then stores
the transform that makes ``W = I`` and ``B = diag(psi)``. Scoring transforms each vector
(with Kaldi's length normalisation that accounts for the number of enrolment utterances)
and returns the log-likelihood ratio of "same speaker" over "different speakers", with
an enrolment model averaged over ``num_utts`` utterances.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> spk = rng.normal(size=(30, 5)) * 3
    >>> y = np.repeat(np.arange(30), 4)
    >>> x = spk[y] + rng.normal(size=(120, 5))
    >>> plda = KaldiPlda().fit(x, y)
    >>> s = plda.score_pairs(x[[0, 0]], x[[1, 119]])
    >>> bool(s[0] > s[1])
    True
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from TrainAndTest.backend.pair_scores import PairTerms

LOG_2PI = float(np.log(2.0 * np.pi))


def _normalizing_transform(covar: np.ndarray) -> np.ndarray:
    s, u = np.linalg.eigh(covar)
    if s.min() <= 0:
        raise ValueError("within-class covariance is not positive definite")
    return (u / np.sqrt(s)).T


class KaldiPlda:
    """Kaldi-style two-covariance PLDA.

    Args:
        num_em_iters: EM iterations (Kaldi ``--num-em-iters``, default 10).
        normalize_length: length-normalise transformed vectors at scoring (Kaldi
            ``--normalize-length``, default true).
        simple_length_norm: normalise to ``sqrt(dim)`` ignoring ``psi`` and the number of
            utterances (Kaldi ``--simple-length-normalization``, default false).

    Attributes (after ``fit``): ``mean``, ``transform`` (dim x dim), ``psi`` (dim, the
    between-class variances in the transformed space, decreasing), ``offset``
    (``-transform @ mean``), and the estimated ``within`` / ``between`` covariances.
    """

    def __init__(self, num_em_iters: int = 10, normalize_length: bool = True,
                 simple_length_norm: bool = False):
        self.num_em_iters = int(num_em_iters)
        self.normalize_length = bool(normalize_length)
        self.simple_length_norm = bool(simple_length_norm)

    def fit(self, x: np.ndarray, labels: Sequence, weights: Optional[Sequence] = None
            ) -> KaldiPlda:
        """Estimate from rows of ``x`` grouped by speaker ``labels``.

        Args:
            x: ``[n, dim]`` training vectors (usually mean-subtracted, LDA'd, length-normed).
            labels: speaker of each row.
            weights: optional per-speaker weight, in ``np.unique(labels)`` order (Kaldi
                uses 1.0).

        Returns:
            self.
        """
        x = np.asarray(x, dtype=np.float64)
        dim = x.shape[1]
        _, g = np.unique(np.asarray(labels), return_inverse=True)
        g = g.ravel()
        n_spk = int(g.max()) + 1
        counts = np.bincount(g, minlength=n_spk).astype(np.float64)
        w_spk = np.ones(n_spk) if weights is None else np.asarray(weights, dtype=np.float64)
        sums = np.zeros((n_spk, dim))
        np.add.at(sums, g, x)
        class_means = sums / counts[:, None]
        dev = x - class_means[g]
        offset_scatter = (dev * w_spk[g][:, None]).T @ dev
        global_mean = (w_spk[:, None] * class_means).sum(axis=0) / w_spk.sum()
        m = class_means - global_mean
        within = np.eye(dim)
        between = np.eye(dim)
        for _ in range(self.num_em_iters):
            within_stats = offset_scatter.copy()
            within_count = float(len(x) - n_spk) * 1.0
            between_stats = np.zeros((dim, dim))
            b_inv = np.linalg.inv(between)
            w_inv = np.linalg.inv(within)
            # Speakers with the same count share the posterior covariance.
            for n in np.unique(counts):
                sel = counts == n
                mixed = np.linalg.inv(b_inv + n * w_inv)
                mixed = 0.5 * (mixed + mixed.T)
                wt = w_spk[sel]
                w_post = (m[sel] @ (n * w_inv)) @ mixed  # posterior mean of y - mu
                m_w = m[sel] - w_post
                between_stats += wt.sum() * mixed + (w_post * wt[:, None]).T @ w_post
                within_stats += n * (wt.sum() * mixed + (m_w * wt[:, None]).T @ m_w)
                within_count += wt.sum()
            within = within_stats / within_count
            between = between_stats / w_spk.sum()
        self.mean = global_mean
        self.within, self.between = within, between
        t1 = _normalizing_transform(within)
        s, u = np.linalg.eigh(t1 @ between @ t1.T)
        order = np.argsort(s)[::-1]
        self.psi = np.maximum(s[order], 0.0)
        self.transform = u[:, order].T @ t1
        self.offset = -self.transform @ self.mean
        return self

    def smooth_within_class_covariance(self, smoothing_factor: float) -> KaldiPlda:
        """Add ``smoothing_factor`` x between-class to the within-class covariance
        (Kaldi ``ivector-copy-plda --smoothing``); returns self."""
        within = 1.0 + smoothing_factor * self.psi
        self.psi = self.psi / within
        self.transform = self.transform / np.sqrt(within)[:, None]
        self.offset = -self.transform @ self.mean
        return self

    def transform_vectors(self, x: np.ndarray, num_utts=1) -> np.ndarray:
        """Vectors in the PLDA space, length-normalised as Kaldi's ``TransformIvector``.

        Args:
            x: ``[n, dim]`` vectors.
            num_utts: number of utterances averaged into each vector (scalar or ``[n]``).
        """
        y = np.asarray(x, dtype=np.float64) @ self.transform.T + self.offset
        if not self.normalize_length:
            return y
        dim = y.shape[1]
        if self.simple_length_norm:
            factor = np.sqrt(dim) / np.linalg.norm(y, axis=1)
        else:
            n = np.broadcast_to(np.asarray(num_utts, dtype=np.float64), (y.shape[0],))
            inv_covar = 1.0 / (self.psi[None, :] + 1.0 / n[:, None])
            factor = np.sqrt(dim / np.einsum("ij,ij->i", inv_covar, y * y))
        return y * factor[:, None]

    def llr_pairs(self, enrol_t: np.ndarray, test_t: np.ndarray, num_utts=1) -> np.ndarray:
        """LLR of transformed row pairs (Kaldi ``Plda::LogLikelihoodRatio``).

        Args:
            enrol_t, test_t: ``[n, dim]`` outputs of :meth:`transform_vectors`.
            num_utts: enrolment utterance count per pair (scalar or ``[n]``).
        """
        psi = self.psi[None, :]
        n = np.asarray(num_utts, dtype=np.float64).reshape(-1, 1)
        mean = n * psi / (n * psi + 1.0) * enrol_t
        var_given = 1.0 + psi / (n * psi + 1.0)
        diff = test_t - mean
        ll_given = -0.5 * (np.log(var_given).sum(axis=1) + (diff * diff / var_given).sum(axis=1))
        var_without = 1.0 + psi
        ll_without = -0.5 * (np.log(var_without).sum() + (test_t * test_t / var_without).sum(axis=1))
        # The 2*pi terms cancel in the ratio.
        return ll_given - ll_without

    def pair_terms(self, enrol_t: np.ndarray, test_t: np.ndarray, num_utts=1) -> PairTerms:
        """:meth:`llr_pairs` as per-utterance terms: a trial is then one dot product.

        With ``n`` the enrolment's utterance count, ``m = n psi / (n psi + 1) e``,
        ``vg = 1 + psi / (n psi + 1)`` and ``vw = 1 + psi``, the LLR is
        ``c(e) + t . (m / vg) + (t * t) . (1 / vw - 1 / vg) / 2`` with
        ``c(e) = -(sum log vg - sum log vw + sum m^2 / vg) / 2``. When every enrolment has
        the same ``n`` the last term is the test's own, so the cross term has ``dim``
        entries; otherwise ``[m / vg, (1 / vw - 1 / vg) / 2]`` meets ``[t, t * t]``.

        Args:
            enrol_t, test_t: outputs of :meth:`transform_vectors` (one row per utterance).
            num_utts: utterances of each enrolment row (scalar or ``[n_enrol]``).

        Returns:
            :class:`~TrainAndTest.backend.pair_scores.PairTerms`; equal to
            :meth:`llr_pairs` up to float64 rounding.

        Example:
            >>> import numpy as np
            >>> p = KaldiPlda(); p.psi = np.array([2.0, 0.5])
            >>> e, t = np.array([[1.0, 0.0], [0.5, 1.0]]), np.array([[0.3, -1.0]])
            >>> s = p.pair_terms(e, t, [1, 3]).score(np.array([0, 1]), np.array([0, 0]))
            >>> bool(np.allclose(s, p.llr_pairs(e, t[[0, 0]], [1, 3])))
            True
        """
        enrol_t = np.asarray(enrol_t, dtype=np.float64)
        test_t = np.asarray(test_t, dtype=np.float64)
        n = np.broadcast_to(np.asarray(num_utts, dtype=np.float64), (len(enrol_t),))
        counts = np.unique(n)
        psi = self.psi[None, :]
        var_without = 1.0 + self.psi

        def enrol_side(rows: np.ndarray):
            nn = n[rows, None]
            var_given = 1.0 + psi / (nn * psi + 1.0)
            mean = nn * psi / (nn * psi + 1.0) * enrol_t[rows]
            bias = -0.5 * (np.log(var_given).sum(axis=1) - np.log(var_without).sum()
                           + (mean * mean / var_given).sum(axis=1))
            quad = 0.5 * (1.0 / var_without - 1.0 / var_given)
            return mean / var_given, quad, bias

        dim = enrol_t.shape[1]
        uniform = len(counts) <= 1
        lin = np.empty((len(n), dim if uniform else 2 * dim))
        bias = np.empty(len(n))
        quad = np.zeros(dim)
        for s in range(0, len(n), 16384):
            rows = np.arange(s, min(s + 16384, len(n)))
            lin_rows, quad, bias[rows] = enrol_side(rows)
            lin[rows, :dim] = lin_rows
            if not uniform:
                lin[rows, dim:] = quad
        if uniform:
            return PairTerms(lin, test_t, bias, (test_t * test_t) @ (quad[0] if len(n) else quad))
        return PairTerms(lin, np.hstack([test_t, test_t * test_t]), bias, np.zeros(len(test_t)))

    def llr_matrix(self, enrol_t: np.ndarray, test_t: np.ndarray) -> np.ndarray:
        """LLR of every transformed enrolment row (one utterance) against every test row.

        Same value as :meth:`llr_pairs` with ``num_utts=1``, as a ``[n_enrol, n_test]``
        matrix computed with matrix products (used for cohort scores).
        """
        psi = self.psi
        scale = psi / (psi + 1.0)
        var_given = 1.0 + scale
        var_without = 1.0 + psi
        m = enrol_t * scale
        # -0.5 * sum((t - m)^2 / vg) expanded into test, cross and enrolment terms.
        t_term = (test_t * test_t) @ (1.0 / var_given - 1.0 / var_without)
        e_term = (m * m) @ (1.0 / var_given)
        cross = (m / var_given) @ test_t.T
        const = np.log(var_given).sum() - np.log(var_without).sum()
        return -0.5 * (const + t_term[None, :] + e_term[:, None]) + cross

    def score_pairs(self, enrol: np.ndarray, test: np.ndarray, num_utts=1) -> np.ndarray:
        """Scores of raw row pairs ``(enrol[i], test[i])``; enrol averaged over num_utts."""
        e = self.transform_vectors(enrol, num_utts)
        t = self.transform_vectors(test, 1)
        return self.llr_pairs(e, t, num_utts)

    def state(self) -> Dict[str, np.ndarray]:
        """Parameters for ``np.savez``."""
        return {"mean": self.mean, "transform": self.transform, "psi": self.psi,
                "normalize_length": np.asarray(self.normalize_length),
                "simple_length_norm": np.asarray(self.simple_length_norm)}

    @classmethod
    def from_state(cls, state: Dict[str, np.ndarray]) -> KaldiPlda:
        """Rebuild from :meth:`state`."""
        obj = cls(normalize_length=bool(state["normalize_length"]),
                  simple_length_norm=bool(state["simple_length_norm"]))
        obj.mean, obj.transform, obj.psi = state["mean"], state["transform"], state["psi"]
        obj.offset = -obj.transform @ obj.mean
        return obj
