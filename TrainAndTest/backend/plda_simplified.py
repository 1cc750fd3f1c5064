"""Simplified PLDA (SIDEKIT / SpeechBrain style): ``x = mean + F h + e``.

The speaker factor ``h ~ N(0, I)`` has ``rank_f`` dimensions, the residual
``e ~ N(0, Sigma)`` has a full covariance. Training is EM on per-speaker sufficient
statistics, each iteration followed by a minimum-divergence step; the defaults (``rank_f``
100, 10 iterations, initialisation from the leading eigenvectors of the total covariance)
are those of SpeechBrain's ``PLDA``, so scores match SpeechBrain's ``fast_PLDA_scoring``.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> spk = rng.normal(size=(20, 8)) * 3
    >>> y = np.repeat(np.arange(20), 4)
    >>> x = spk[y] + rng.normal(size=(80, 8))
    >>> plda = SimplifiedPlda(rank_f=4, nb_iter=5).fit(x, y)
    >>> s = plda.score_matrix(x[:2], x[[0, 79]])
    >>> bool(s[0, 0] > s[0, 1])
    True
"""

from __future__ import annotations

from typing import Dict, Sequence

import numpy as np
from scipy import linalg

from TrainAndTest.backend.pair_scores import PairTerms, in_row_chunks


def _inv_sqrt_basis(sigma: np.ndarray) -> np.ndarray:
    """``W`` with ``W^T sigma W = I``: eigenvectors scaled by 1/sqrt(eigenvalue)."""
    s, u = linalg.eigh(sigma)
    if s.min() <= 0:
        raise ValueError(
            "PLDA residual covariance is singular (fewer training vectors than dimensions, "
            "or collinear dimensions); reduce the dimension first (e.g. LDA)"
        )
    order = np.argsort(s)[::-1]
    return u[:, order] / np.sqrt(s[order])


class SimplifiedPlda:
    """Simplified PLDA with a low-rank speaker subspace and full residual covariance.

    Args:
        rank_f: speaker-subspace rank.
        nb_iter: EM iterations.
        scaling_factor: multiplies the per-speaker statistics and the scores (SpeechBrain's
            ``scaling_factor``; 1 by default).

    Attributes (after ``fit``): ``mean`` (dim), ``F`` (dim x rank_f), ``Sigma`` (dim x dim).
    """

    def __init__(self, rank_f: int = 100, nb_iter: int = 10, scaling_factor: float = 1.0):
        self.rank_f = int(rank_f)
        self.nb_iter = int(nb_iter)
        self.scaling_factor = float(scaling_factor)

    def fit(self, x: np.ndarray, labels: Sequence) -> SimplifiedPlda:
        """Estimate ``mean``, ``F`` and ``Sigma`` from rows of ``x`` and speaker labels.

        Returns:
            self.
        """
        x = np.asarray(x, dtype=np.float64)
        dim = x.shape[1]
        if self.rank_f > dim:
            raise ValueError(f"rank_f {self.rank_f} > dimension {dim}")
        _, g = np.unique(np.asarray(labels), return_inverse=True)
        g = g.ravel()
        n_spk = int(g.max()) + 1
        self.mean = x.mean(axis=0)
        xc = x - self.mean
        sigma_obs = xc.T @ xc / x.shape[0]
        self.Sigma = sigma_obs.copy()
        counts = np.bincount(g, minlength=n_spk).astype(np.float64) * self.scaling_factor
        # First-order statistics centred on the global mean (sum over a speaker's rows).
        stats = np.zeros((n_spk, dim))
        np.add.at(stats, g, xc)
        stats *= self.scaling_factor
        evals, evecs = linalg.eigh(sigma_obs)
        self.F = evecs[:, np.argsort(evals)[::-1][: self.rank_f]]
        eye = np.eye(self.rank_f)
        for _ in range(self.nb_iter):
            # E-step in the space where the residual covariance is the identity.
            w = _inv_sqrt_basis(self.Sigma)
            f_w = w.T @ self.F
            stats_w = stats @ w
            a = f_w.T @ f_w
            e_h = np.empty((n_spk, self.rank_f))
            r_acc = np.zeros((self.rank_f, self.rank_f))
            a_acc = np.zeros((self.rank_f, self.rank_f))
            for n in np.unique(counts):
                sel = counts == n
                inv_lambda = linalg.inv(n * a + eye)
                e_h[sel] = stats_w[sel] @ f_w @ inv_lambda
                # sum over speakers of E[h h^T] = k * inv_lambda + sum e_h e_h^T
                ehh = sel.sum() * inv_lambda + e_h[sel].T @ e_h[sel]
                r_acc += ehh
                a_acc += n * ehh
            r = r_acc / n_spk
            c = e_h.T @ stats  # = e_h^T stats_w W^{-1}: back in the original space
            # M-step, then the minimum-divergence step.
            self.F = linalg.solve(a_acc, c).T
            self.Sigma = sigma_obs - self.F @ c / counts.sum()
            self.F = self.F @ linalg.cholesky(r)
        return self

    def score_matrix(self, enrol: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Log-likelihood ratios of every enrolment row against every test row.

        Args:
            enrol: ``[n_enrol, dim]`` (one vector per model; average a model's vectors first).
            test: ``[n_test, dim]``.

        Returns:
            ``[n_enrol, n_test]`` scores.
        """
        phi, psi, const = self._scoring_terms()
        e = np.asarray(enrol, dtype=np.float64) - self.mean
        t = np.asarray(test, dtype=np.float64) - self.mean
        model_part = 0.5 * np.einsum("ij,jk,ik->i", e, phi, e)
        seg_part = 0.5 * np.einsum("ij,jk,ik->i", t, phi, t)
        s = model_part[:, None] + seg_part[None, :] + const + e @ psi @ t.T
        return s * self.scaling_factor

    def score_pairs(self, enrol: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Scores of row pairs ``(enrol[i], test[i])`` (same shapes)."""
        phi, psi, const = self._scoring_terms()
        e = np.asarray(enrol, dtype=np.float64) - self.mean
        t = np.asarray(test, dtype=np.float64) - self.mean
        s = 0.5 * (np.einsum("ij,jk,ik->i", e, phi, e) + np.einsum("ij,jk,ik->i", t, phi, t))
        s += np.einsum("ij,jk,ik->i", e, psi, t) + const
        return s * self.scaling_factor

    def pair_terms(self, enrol: np.ndarray, test: np.ndarray) -> PairTerms:
        """:meth:`score_pairs` as per-utterance terms: a trial is then one dot product.

        ``0.5 e'Phi e + const`` is the enrolment's bias, ``0.5 t'Phi t`` the test's and
        ``(Psi' e) . t`` the cross term (all times ``scaling_factor``).

        Returns:
            :class:`~TrainAndTest.backend.pair_scores.PairTerms`; equal to
            :meth:`score_pairs` up to float64 rounding.
        """
        phi, psi, const = self._scoring_terms()
        sf = self.scaling_factor

        def centred(x):
            return np.asarray(x, dtype=np.float64) - self.mean

        def own(x):
            c = centred(x)
            return 0.5 * ((c @ phi) * c).sum(axis=1) * sf

        e_vecs = in_row_chunks(lambda x: (centred(x) @ psi) * sf, enrol)
        return PairTerms(e_vecs, in_row_chunks(centred, test),
                         in_row_chunks(own, enrol) + const * sf, in_row_chunks(own, test))

    def _scoring_terms(self):
        if getattr(self, "_terms", None) is not None:
            return self._terms
        inv_sigma = linalg.inv(self.Sigma)
        k = self.F.T @ (inv_sigma * self.scaling_factor) @ self.F
        eye = np.eye(self.F.shape[1])
        logdet1 = np.linalg.slogdet(linalg.inv(k + eye))[1]
        logdet2 = np.linalg.slogdet(linalg.inv(2 * k + eye))[1]
        const = logdet2 / 2.0 - logdet1
        s_ac = self.F @ self.F.T
        s_tot = s_ac + self.Sigma
        s_tot_inv = linalg.inv(s_tot)
        tmp = linalg.inv(s_tot - s_ac @ s_tot_inv @ s_ac)
        phi = s_tot_inv - tmp
        psi = s_tot_inv @ s_ac @ tmp
        self._terms = (phi, psi, const)
        return self._terms

    def state(self) -> Dict[str, np.ndarray]:
        """Parameters for ``np.savez``."""
        return {"mean": self.mean, "F": self.F, "Sigma": self.Sigma,
                "scaling_factor": np.asarray(self.scaling_factor)}

    @classmethod
    def from_state(cls, state: Dict[str, np.ndarray]) -> SimplifiedPlda:
        """Rebuild from :meth:`state`."""
        obj = cls(rank_f=state["F"].shape[1], scaling_factor=float(state["scaling_factor"]))
        obj.mean, obj.F, obj.Sigma = state["mean"], state["F"], state["Sigma"]
        return obj
