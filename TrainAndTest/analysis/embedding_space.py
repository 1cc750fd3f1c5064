"""Checks of the embedding space (the ECAPA-TDNN study): prototypes, loss bounds, scoring bias.

* :func:`pairwise_cosines`: cosine between every pair of class prototypes (rows of the
  head's weight), to compare with :func:`random_cosines` of Gaussian vectors of the same
  dimension (around 0 with spread ``1/sqrt(D)``): trained prototypes spread out further.
* :func:`softmax_loss_lower_bound`: the smallest loss a normalised softmax head with scale
  ``s`` (and additive angular margin ``m``) can reach with ``C`` classes: every embedding
  on its prototype (target cosine 1, logit ``s cos m``) and the prototypes a regular
  simplex (other cosines ``-1/(C-1)``):
  ``log(1 + (C-1) exp(-s (cos m + 1/(C-1))))``. A small ``s`` makes a large floor.
* :func:`inclusion_bias`: scoring an utterance against a speaker mean that includes it
  raises the score over the mean of the other utterances; the bias shrinks with the
  number of utterances.

Example:
    >>> round(softmax_loss_lower_bound(1.0, 2), 4)  # log(1 + e^-2)
    0.1269
    >>> pairwise_cosines(np.eye(3)).tolist()
    [0.0, 0.0, 0.0]
"""

from __future__ import annotations

import math
from typing import Dict, Iterable, Mapping

import numpy as np


def pairwise_cosines(vectors: np.ndarray) -> np.ndarray:
    """Cosines of all pairs ``i < j`` of the rows of ``vectors [N, D]``."""
    v = np.asarray(vectors, np.float64)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sim = v @ v.T
    return sim[np.triu_indices(len(v), k=1)]


def random_cosines(num: int, dim: int, seed: int = 0) -> np.ndarray:
    """:func:`pairwise_cosines` of ``num`` standard Gaussian vectors of dimension ``dim``."""
    return pairwise_cosines(np.random.default_rng(seed).standard_normal((num, dim)))


def softmax_loss_lower_bound(scale: float, num_classes: int, margin: float = 0.0) -> float:
    """Lower bound of the (AAM-)softmax cross-entropy, see the module docstring."""
    c = int(num_classes)
    if c < 2 or scale <= 0:
        raise ValueError(f"need num_classes >= 2 and scale > 0, got {num_classes}, {scale}")
    return math.log1p((c - 1) * math.exp(-scale * (math.cos(margin) + 1.0 / (c - 1))))


def inclusion_bias(embeddings: Mapping[str, np.ndarray],
                   spk2utt: Mapping[str, Iterable[str]]) -> Dict[str, np.ndarray]:
    """Per utterance: cosine to its speaker's mean with and without itself.

    Speakers with fewer than two embedded utterances are skipped.

    Returns:
        ``{"included", "excluded", "num_utts"}``, one value per scored utterance.

    Example:
        >>> e = {"a1": np.array([1.0, 0.0]), "a2": np.array([0.0, 1.0])}
        >>> r = inclusion_bias(e, {"a": ["a1", "a2"]})
        >>> np.round(r["included"], 3).tolist(), r["excluded"].tolist()
        ([0.707, 0.707], [0.0, 0.0])
    """
    inc, exc, counts = [], [], []
    for utts in spk2utt.values():
        vecs = [np.asarray(embeddings[u], np.float64) for u in utts if u in embeddings]
        if len(vecs) < 2:
            continue
        vecs = np.stack(vecs)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        total = vecs.sum(axis=0)
        for v in vecs:
            for mean, out in ((total, inc), (total - v, exc)):
                out.append(float(v @ mean / max(np.linalg.norm(mean), 1e-12)))
            counts.append(len(vecs))
    return {"included": np.array(inc), "excluded": np.array(exc), "num_utts": np.array(counts)}
