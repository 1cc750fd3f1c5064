"""Clustering of window embeddings into speakers.

All methods take embeddings ``[N, dim]`` and return integer labels ``[N]`` numbered
0, 1, ... in order of first appearance. ``num_speakers`` (e.g. from ``reco2num_spk``)
fixes the count; without it each method estimates it:

* ``ahc``: agglomerative clustering on cosine similarity, average linkage (scipy's
  ``linkage``/``fcluster``); merging stops when the average similarity of the two closest
  clusters falls below ``threshold`` (Kaldi's diarization recipe, with cosine instead of
  PLDA scores). With ``num_speakers`` the tree is cut at the first level that has that
  many clusters of at least :data:`MIN_WINDOWS` windows; windows of smaller clusters
  join the nearest of them (cosine to the cluster mean), so a stray window cannot take a
  speaker's place.
* ``spectral``: a cosine affinity, each row pruned to its ``pval`` largest entries and
  symmetrised; the count is the largest eigen-gap of the normalised Laplacian
  ``I - D^-1/2 A D^-1/2`` among the first ``max_speakers``; then sklearn's
  ``SpectralClustering`` on that affinity.
* ``umap_hdbscan``: UMAP (cosine, umap-learn) to a few dimensions, then sklearn's HDBSCAN;
  points HDBSCAN calls noise join the nearest cluster centre. With ``num_speakers`` the
  UMAP points are cut by AHC into that many clusters. Too few windows for UMAP (fewer than
  :data:`UMAP_MIN_POINTS`) fall back to ``ahc``.

Example:
    >>> rng = np.random.default_rng(0)
    >>> centres = rng.normal(size=(3, 16))
    >>> x = np.repeat(centres, 5, axis=0) + 0.05 * rng.normal(size=(15, 16))
    >>> ahc(x, threshold=0.5).tolist() == [0] * 5 + [1] * 5 + [2] * 5
    True
    >>> int(spectral(x).max()) + 1, int(ahc(x, num_speakers=2).max()) + 1
    (3, 2)
"""

from __future__ import annotations

from typing import Callable, Dict, Optional

import numpy as np

#: default cosine-similarity stopping threshold of ``ahc``.
AHC_THRESHOLD = 0.3
#: largest number of speakers the eigen-gap may choose.
MAX_SPEAKERS = 8
#: fraction of each affinity row kept by spectral pruning (at least 2 neighbours).
PVAL = 0.3
#: with an oracle count, ``ahc`` gives a speaker only to a cluster of at least this many
#: windows (smaller ones are outliers, mostly windows across a speaker change).
MIN_WINDOWS = 2
#: ``umap_hdbscan`` needs at least this many windows (fewer: ``ahc``).
UMAP_MIN_POINTS = 20


class ClusterError(ValueError):
    """A bad clustering method or option (the message names it and the valid values)."""


def relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, ... in order of first appearance.

    Example:
        >>> relabel(np.array([5, 5, 2, 7, 2])).tolist()
        [0, 0, 1, 2, 1]
    """
    labels = np.asarray(labels)
    order = {}
    for v in labels.tolist():
        order.setdefault(v, len(order))
    return np.array([order[v] for v in labels.tolist()], dtype=np.int64)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _check(x: np.ndarray, num_speakers: Optional[int]) -> Optional[np.ndarray]:
    """Labels for the trivial cases (0 or 1 embedding, or one speaker), else None."""
    if x.ndim != 2:
        raise ClusterError(f"embeddings must be [N, dim], got shape {x.shape}")
    if num_speakers is not None and num_speakers < 1:
        raise ClusterError(f"num_speakers must be >= 1, got {num_speakers}")
    if len(x) <= 1 or num_speakers == 1:
        return np.zeros(len(x), dtype=np.int64)
    return None


def ahc(x: np.ndarray, num_speakers: Optional[int] = None,
        threshold: float = AHC_THRESHOLD) -> np.ndarray:
    """Average-linkage AHC on cosine similarity (see the module docstring)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    trivial = _check(x, num_speakers)
    if trivial is not None:
        return trivial
    tree = linkage(_unit(x), method="average", metric="cosine")
    if num_speakers is None:
        return relabel(fcluster(tree, t=1.0 - threshold, criterion="distance"))
    k = min(num_speakers, len(x))
    for cut in range(k, len(x) + 1):  # the first cut with k clusters of MIN_WINDOWS or more
        labels = fcluster(tree, t=cut, criterion="maxclust")
        sizes = np.bincount(labels)
        big = np.flatnonzero(sizes >= MIN_WINDOWS)
        if len(big) >= k or cut == len(x):
            break
    big = big[np.argsort(-sizes[big], kind="stable")][:k]
    stray = ~np.isin(labels, big)
    if len(big) and stray.any():
        u = _unit(x)
        centres = _unit(np.stack([u[labels == b].mean(axis=0) for b in big]))
        labels[stray] = big[np.argmax(u[stray] @ centres.T, axis=1)]
    return relabel(labels)


def pruned_affinity(x: np.ndarray, pval: float = PVAL) -> np.ndarray:
    """Cosine affinity in [0, 1], each row keeping its ``pval`` largest entries, symmetric."""
    u = _unit(x)
    a = np.clip(u @ u.T, 0.0, 1.0)
    n = len(a)
    keep = max(2, int(np.ceil(pval * n)))
    if keep < n:
        cut = np.sort(a, axis=1)[:, n - keep][:, None]
        a = np.where(a >= cut, a, 0.0)
    return (a + a.T) / 2


def eigengap_count(affinity: np.ndarray, max_speakers: int = MAX_SPEAKERS) -> int:
    """Number of clusters from the largest gap between the eigenvalues of the normalised
    Laplacian (ascending) among the first ``max_speakers + 1``.

    Example:
        >>> block = np.kron(np.eye(3), np.ones((4, 4)))
        >>> eigengap_count(block)
        3
    """
    d = affinity.sum(axis=1)
    inv = 1.0 / np.sqrt(np.maximum(d, 1e-12))
    lap = np.eye(len(affinity)) - inv[:, None] * affinity * inv[None, :]
    vals = np.linalg.eigvalsh(lap)[: max_speakers + 1]
    if len(vals) < 2:
        return 1
    return int(np.argmax(np.diff(vals))) + 1


def spectral(x: np.ndarray, num_speakers: Optional[int] = None,
             max_speakers: int = MAX_SPEAKERS, pval: float = PVAL) -> np.ndarray:
    """Spectral clustering with an eigen-gap count (see the module docstring)."""
    from sklearn.cluster import SpectralClustering

    trivial = _check(x, num_speakers)
    if trivial is not None:
        return trivial
    aff = pruned_affinity(x, pval)
    k = num_speakers if num_speakers is not None else eigengap_count(aff, max_speakers)
    k = min(k, len(x))
    if k <= 1:
        return np.zeros(len(x), dtype=np.int64)
    model = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0,
                               assign_labels="kmeans", n_init=10)
    return relabel(model.fit_predict(aff + 1e-9))


def umap_hdbscan(x: np.ndarray, num_speakers: Optional[int] = None,
                 threshold: float = AHC_THRESHOLD, min_cluster_size: int = 4) -> np.ndarray:
    """UMAP + HDBSCAN (see the module docstring); ``threshold`` is used by the AHC
    fall-back for short recordings."""
    trivial = _check(x, num_speakers)
    if trivial is not None:
        return trivial
    if len(x) < UMAP_MIN_POINTS:
        return ahc(x, num_speakers, threshold)
    try:
        import umap
    except ImportError:
        raise ClusterError("--cluster umap_hdbscan needs umap-learn (utils/setup_venv.sh "
                           "--with-diar)") from None
    from sklearn.cluster import HDBSCAN

    low = umap.UMAP(n_components=min(10, len(x) - 2), n_neighbors=min(16, len(x) - 1),
                    metric="cosine", min_dist=0.0, random_state=0,
                    n_jobs=1).fit_transform(_unit(x))
    if num_speakers is not None:
        from scipy.cluster.hierarchy import fcluster, linkage

        return relabel(fcluster(linkage(low, method="ward"), t=num_speakers,
                                criterion="maxclust"))
    labels = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(low)
    if (labels < 0).all():
        return np.zeros(len(x), dtype=np.int64)
    found = sorted(set(labels.tolist()) - {-1})
    centres = np.stack([low[labels == k].mean(axis=0) for k in found])
    noise = labels < 0
    if noise.any():
        dist = ((low[noise][:, None, :] - centres[None]) ** 2).sum(-1)
        labels[noise] = np.asarray(found)[dist.argmin(axis=1)]
    return relabel(labels)


#: method name -> function(embeddings, num_speakers, threshold) -> labels
CLUSTER_METHODS: Dict[str, Callable[..., np.ndarray]] = {
    "ahc": lambda x, n, t: ahc(x, n, t),
    "spectral": lambda x, n, t: spectral(x, n),
    "umap_hdbscan": lambda x, n, t: umap_hdbscan(x, n, t),
}


def cluster_embeddings(method: str, x: np.ndarray, num_speakers: Optional[int] = None,
                       threshold: float = AHC_THRESHOLD) -> np.ndarray:
    """Labels of ``x`` by the named method.

    Raises:
        ClusterError: an unknown method (the message lists the valid ones).
    """
    if method not in CLUSTER_METHODS:
        raise ClusterError(f"unknown clustering method '{method}'; valid: "
                           f"{', '.join(CLUSTER_METHODS)}")
    return CLUSTER_METHODS[method](np.asarray(x), num_speakers, threshold)
