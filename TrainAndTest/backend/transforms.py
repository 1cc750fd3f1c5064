"""Embedding transforms fitted on training vectors: mean subtraction, LDA, whitening,
length normalisation.

Each transform is a small class with ``fit(x[, labels])`` returning itself,
``transform(x)``, and ``state()`` / ``from_state()`` for saving in an ``.npz``; the
semantics follow Kaldi's ``ivector-mean`` / ``ivector-subtract-global-mean``,
``ivector-compute-lda`` and ``ivector-normalize-length``.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(40, 6)); y = np.repeat(np.arange(8), 5)
    >>> chain = [MeanSubtraction(), Lda(dim=3), LengthNorm()]
    >>> for t in chain:
    ...     x = t.fit(x, y).transform(x)
    >>> x.shape, round(float(np.linalg.norm(x[0])), 4)
    ((40, 3), 1.7321)
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from Process_Data.registry import Registry


class Transform:
    """Base class: ``fit`` on training vectors (and speaker labels), ``transform`` rows."""

    def fit(self, x: np.ndarray, labels: Optional[Sequence] = None) -> Transform:
        """Estimate parameters from rows of ``x``; returns self."""
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Apply to rows of ``x`` (``[n, dim]``)."""
        raise NotImplementedError

    def state(self) -> Dict[str, np.ndarray]:
        """Parameters as arrays (for ``np.savez``)."""
        return {}

    @classmethod
    def from_state(cls, state: Dict[str, np.ndarray]) -> Transform:
        """Rebuild from :meth:`state`."""
        obj = cls.__new__(cls)
        for k, v in state.items():
            setattr(obj, k, v)
        return obj


TRANSFORMS = Registry("transform", Transform)


def _normalizing_transform(covar: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """``T`` with ``T covar T^T = I`` (eigenvalues floored at ``floor * max``)."""
    s, u = np.linalg.eigh(covar)
    if s.max() <= 0:
        raise ValueError("covariance is not positive (all eigenvalues <= 0)")
    s = np.maximum(s, max(floor * s.max(), 1e-300))
    return (u / np.sqrt(s)).T


def _groups(labels: Sequence) -> np.ndarray:
    labels = np.asarray(labels)
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.ravel()


@TRANSFORMS.register("mean")
class MeanSubtraction(Transform):
    """Subtract the training mean (Kaldi ``ivector-subtract-global-mean``)."""

    def fit(self, x, labels=None):
        """Store the mean of the rows of ``x``."""
        self.mean = np.asarray(x, dtype=np.float64).mean(axis=0)
        return self

    def transform(self, x):
        """``x - mean``."""
        return np.asarray(x, dtype=np.float64) - self.mean

    def state(self):
        """``{'mean': ...}``."""
        return {"mean": self.mean}


@TRANSFORMS.register("lda")
class Lda(Transform):
    """Linear discriminant analysis with Kaldi ``ivector-compute-lda`` semantics.

    The within-class covariance (optionally mixed with the total covariance) is whitened,
    the between-class covariance is diagonalised in that space and the ``dim`` leading
    directions kept; after the transform the within-class covariance of the training data
    is the identity and the between-class covariance is diagonal, in decreasing order.

    Args:
        dim: output dimension.
        total_covariance_factor: weight of the total covariance in the matrix that is
            whitened (Kaldi ``--total-covariance-factor``, default 0).
        covariance_floor: eigenvalue floor relative to the largest (Kaldi default 1e-6).
    """

    def __init__(self, dim: int = 200, total_covariance_factor: float = 0.0,
                 covariance_floor: float = 1e-6):
        self.dim = int(dim)
        self.total_covariance_factor = float(total_covariance_factor)
        self.covariance_floor = float(covariance_floor)

    def fit(self, x, labels=None):
        """Estimate from rows of ``x`` and their speaker ``labels`` (required)."""
        if labels is None:
            raise ValueError("LDA needs speaker labels")
        x = np.asarray(x, dtype=np.float64)
        if self.dim > x.shape[1]:
            raise ValueError(f"LDA dim {self.dim} > input dimension {x.shape[1]}")
        g = _groups(labels)
        n_spk = int(g.max()) + 1
        if self.dim > n_spk - 1:
            raise ValueError(f"LDA dim {self.dim} needs at least {self.dim + 1} speakers, "
                             f"got {n_spk}")
        mean = x.mean(axis=0)
        xc = x - mean
        counts = np.bincount(g, minlength=n_spk).astype(np.float64)
        sums = np.zeros((n_spk, x.shape[1]))
        np.add.at(sums, g, xc)
        spk_means = sums / counts[:, None]
        total = xc.T @ xc / x.shape[0]
        between = (spk_means * counts[:, None]).T @ spk_means / x.shape[0]
        within = total - between
        tcf = self.total_covariance_factor
        t = _normalizing_transform((1 - tcf) * within + tcf * total, self.covariance_floor)
        s, u = np.linalg.eigh(t @ between @ t.T)
        order = np.argsort(s)[::-1][: self.dim]
        self.matrix = u[:, order].T @ t
        self.offset = -self.matrix @ mean
        return self

    def transform(self, x):
        """``matrix @ x + offset`` per row (Kaldi ``transform-vec`` with the affine LDA)."""
        return np.asarray(x, dtype=np.float64) @ self.matrix.T + self.offset

    def state(self):
        """``matrix`` and ``offset``."""
        return {"matrix": self.matrix, "offset": self.offset}


@TRANSFORMS.register("whiten")
class Whitening(Transform):
    """Whitening by the total covariance: PCA-whitening or ZCA (``zca=True``).

    Args:
        zca: rotate back to the original axes (ZCA) instead of the eigenbasis.
        eps: added to eigenvalues for stability.
    """

    def __init__(self, zca: bool = False, eps: float = 1e-10):
        self.zca = bool(zca)
        self.eps = float(eps)

    def fit(self, x, labels=None):
        """Estimate mean and whitening matrix from rows of ``x``."""
        x = np.asarray(x, dtype=np.float64)
        self.mean = x.mean(axis=0)
        xc = x - self.mean
        s, u = np.linalg.eigh(xc.T @ xc / x.shape[0])
        w = u / np.sqrt(s + self.eps)
        self.matrix = (w @ u.T if self.zca else w).T
        return self

    def transform(self, x):
        """``matrix @ (x - mean)`` per row."""
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.matrix.T

    def state(self):
        """``mean`` and ``matrix``."""
        return {"mean": self.mean, "matrix": self.matrix}


@TRANSFORMS.register("length_norm")
class LengthNorm(Transform):
    """Scale each row to norm ``sqrt(dim)`` (Kaldi ``ivector-normalize-length``) or 1.

    Args:
        scaleup: norm ``sqrt(dim)`` as Kaldi's default ``--scaleup=true``; else unit norm.
    """

    def __init__(self, scaleup: bool = True):
        self.scaleup = bool(scaleup)

    def transform(self, x):
        """Rows scaled to the target norm (zero rows stay zero)."""
        x = np.asarray(x, dtype=np.float64)
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        target = np.sqrt(x.shape[1]) if self.scaleup else 1.0
        return x * (target / np.where(norm > 0, norm, 1.0))

    def state(self):
        """``scaleup`` flag."""
        return {"scaleup": np.asarray(self.scaleup)}


def length_norm(x: np.ndarray, scaleup: bool = False) -> np.ndarray:
    """Rows of ``x`` scaled to unit norm (or ``sqrt(dim)`` with ``scaleup``).

    Example:
        >>> np.round(length_norm(np.array([[3.0, 4.0]])), 6).tolist()
        [[0.6, 0.8]]
    """
    return LengthNorm(scaleup).transform(x)
