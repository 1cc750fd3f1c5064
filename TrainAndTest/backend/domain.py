"""Per-domain centring of embeddings: subtract the mean of the training embeddings of the
same domain (source corpus, channel, language), as Kaldi's SRE recipes centre with in-domain
data.

An embedding extractor trained mostly on one domain maps every utterance of another domain
near a shared offset; cosine and PLDA scores within that domain are then dominated by the
offset, not the speaker. Subtracting the domain's own mean, estimated on the *training*
speakers of that domain (never the test speakers), removes it. Embeddings are length-normalised
before the means are taken and before they are subtracted, so long and short utterances weigh
alike. A domain absent from the training data falls back to the global mean.

Example:
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.1], [1.0, -0.1], [0.1, 1.0], [-0.1, 1.0]])
    >>> dc = DomainCentering().fit(x, ["a", "a", "b", "b"])
    >>> y = dc.transform(np.array([[1.0, 0.2]]), ["a"])
    >>> bool(abs(y[0, 0]) < 0.02 and y[0, 1] > 0.1)
    True
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from TrainAndTest.backend.transforms import length_norm


class DomainCentering:
    """Per-domain mean subtraction fitted on training embeddings.

    Args:
        normalize: length-normalise rows (to unit norm) before fitting and transforming.
    """

    def __init__(self, normalize: bool = True):
        self.normalize = bool(normalize)
        self.means: Dict[str, np.ndarray] = {}
        self.counts: Dict[str, int] = {}
        self.global_mean: Optional[np.ndarray] = None

    def _prep(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"embeddings must be [n, dim], got shape {x.shape}")
        return length_norm(x) if self.normalize else x

    def fit(self, x: np.ndarray, domains: Sequence[str]) -> DomainCentering:
        """Estimate each domain's mean (and the global mean) from rows of ``x``."""
        x = self._prep(x)
        domains = np.asarray(list(domains))
        if len(domains) != len(x):
            raise ValueError(f"{len(x)} embeddings but {len(domains)} domain labels")
        if not len(x):
            raise ValueError("no training embeddings to estimate domain means from")
        self.global_mean = x.mean(axis=0)
        self.means, self.counts = {}, {}
        for d in sorted(set(domains.tolist())):
            rows = x[domains == d]
            self.means[d] = rows.mean(axis=0)
            self.counts[d] = len(rows)
        return self

    def transform(self, x: np.ndarray, domains: Sequence[str]) -> np.ndarray:
        """``x - mean[domain]`` row by row (the global mean for an unseen domain)."""
        if self.global_mean is None:
            raise ValueError("DomainCentering: fit() first")
        x = self._prep(x)
        domains = list(domains)
        if len(domains) != len(x):
            raise ValueError(f"{len(x)} embeddings but {len(domains)} domain labels")
        means = np.stack([self.means.get(d, self.global_mean) for d in domains]) if domains else 0
        return x - means

    def unseen(self, domains: Sequence[str]) -> Dict[str, int]:
        """Domains of ``domains`` without training data, with their counts."""
        out: Dict[str, int] = {}
        for d in domains:
            if d not in self.means:
                out[d] = out.get(d, 0) + 1
        return out
