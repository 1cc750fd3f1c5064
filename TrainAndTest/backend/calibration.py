"""Calibration of scores to log-likelihood ratios by prior-weighted logistic regression.

``llr = a * score + b + sum_q c_q * quality_q``: the parameters minimise the
prior-weighted cross-entropy (Brummer's ``C_llr`` objective at ``p_target``), so the output
can be thresholded at the Bayes threshold of any operating point. Optional quality measures
(as in QMF: e.g. the log duration of the shorter side, embedding norms) enter as extra
linear terms.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = np.r_[rng.normal(2, 1, 20000), rng.normal(-2, 1, 20000)]
    >>> y = np.r_[np.ones(20000), np.zeros(20000)]
    >>> cal = LogisticCalibration().fit(10 * s + 3, y)
    >>> bool(abs(cal.weights[0] * 10 - 4.0) < 0.3)  # the true LLR of these Gaussians is 4 * s
    True
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from scipy.optimize import minimize


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def quality_features(enrol_q: np.ndarray, test_q: np.ndarray, log: bool = True) -> np.ndarray:
    """Symmetric per-trial quality features: min and max of the two sides' measures.

    Args:
        enrol_q, test_q: ``[n]`` (or ``[n, q]``) quality measures of each trial's sides,
            e.g. durations in seconds or embedding norms.
        log: take the logarithm first (durations).

    Returns:
        ``[n, 2q]`` features ``[min..., max...]``.
    """
    a = np.asarray(enrol_q, dtype=np.float64).reshape(len(enrol_q), -1)
    b = np.asarray(test_q, dtype=np.float64).reshape(len(test_q), -1)
    if log:
        if np.any(a <= 0) or np.any(b <= 0):
            raise ValueError("log quality measures need positive values")
        a, b = np.log(a), np.log(b)
    return np.hstack([np.minimum(a, b), np.maximum(a, b)])


class LogisticCalibration:
    """Affine score-to-LLR map, optionally with quality-measure terms.

    Args:
        p_target: prior at which the cross-entropy is weighted (0.5: equal weight).
        l2: small ridge penalty on the weights (keeps separable data finite).

    Attributes (after ``fit``): ``weights`` (``[1 + q]``: score, then quality terms),
    ``bias``.
    """

    def __init__(self, p_target: float = 0.5, l2: float = 1e-6):
        if not 0 < p_target < 1:
            raise ValueError(f"p_target must be in (0, 1), got {p_target}")
        self.p_target = float(p_target)
        self.l2 = float(l2)

    @staticmethod
    def _features(scores: np.ndarray, quality: Optional[np.ndarray]) -> np.ndarray:
        x = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
        if quality is not None:
            q = np.asarray(quality, dtype=np.float64).reshape(len(x), -1)
            x = np.hstack([x, q])
        if not np.all(np.isfinite(x)):
            raise ValueError("calibration inputs contain NaN or infinite values")
        return x

    def fit(self, scores: np.ndarray, labels: np.ndarray,
            quality: Optional[np.ndarray] = None) -> LogisticCalibration:
        """Fit on labelled trials (labels 1 target, 0 non-target); returns self."""
        x = self._features(scores, quality)
        y = np.asarray(labels).astype(bool).ravel()
        if y.all() or not y.any():
            raise ValueError("calibration needs both target and non-target trials")
        # Standardise for a well-conditioned optimisation; undone below.
        mu, sd = x.mean(axis=0), x.std(axis=0)
        sd[sd == 0] = 1.0
        xs = (x - mu) / sd
        wt = np.where(y, self.p_target / y.sum(), (1 - self.p_target) / (~y).sum())
        sign = np.where(y, 1.0, -1.0)
        offset = _logit(self.p_target)

        def objective(theta):
            w, b = theta[:-1], theta[-1]
            z = sign * (xs @ w + b + offset)
            loss = np.sum(wt * np.logaddexp(0.0, -z)) + self.l2 * (w @ w)
            dz = -wt * sign * 0.5 * (1.0 - np.tanh(0.5 * z))  # d/dz log(1+e^-z) = -sigmoid(-z)
            grad = np.r_[xs.T @ dz + 2 * self.l2 * w, dz.sum()]
            return loss, grad

        res = minimize(objective, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
        w, b = res.x[:-1], res.x[-1]
        self.weights = w / sd
        self.bias = float(b - (mu / sd) @ w)
        return self

    def transform(self, scores: np.ndarray, quality: Optional[np.ndarray] = None) -> np.ndarray:
        """Calibrated LLRs of ``scores`` (natural log)."""
        x = self._features(scores, quality)
        if x.shape[1] != len(self.weights):
            raise ValueError(f"calibration was fitted with {len(self.weights) - 1} quality "
                             f"measures, got {x.shape[1] - 1}")
        return x @ self.weights + self.bias

    def state(self) -> Dict[str, np.ndarray]:
        """Parameters for ``np.savez``."""
        return {"weights": self.weights, "bias": np.asarray(self.bias),
                "p_target": np.asarray(self.p_target)}

    @classmethod
    def from_state(cls, state: Dict[str, np.ndarray]) -> LogisticCalibration:
        """Rebuild from :meth:`state`."""
        obj = cls(p_target=float(state["p_target"]))
        obj.weights, obj.bias = np.asarray(state["weights"]), float(state["bias"])
        return obj


def min_cllr(scores, labels) -> float:
    """Cllr after the best monotone calibration (PAV, via isotonic regression), in bits.

    The PAV posteriors are clipped to [1e-6, 1 - 1e-6] so that a perfectly separated
    list has a finite value.

    Example:
        >>> round(min_cllr([0.0, 1.0, 2.0, 3.0], [0, 0, 1, 1]), 4)
        0.0
    """
    from sklearn.isotonic import IsotonicRegression

    from TrainAndTest.metrics.error_rates import compute_cllr

    s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    post = IsotonicRegression(out_of_bounds="clip").fit_transform(s, y)
    post = np.clip(post, 1e-6, 1 - 1e-6)
    prior = y.mean()
    llr = np.log(post / (1 - post)) - np.log(prior / (1 - prior))
    return float(compute_cllr(llr, y.astype(int)))
