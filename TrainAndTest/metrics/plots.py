"""Report figures: DET curve (normal-deviate axes), score histograms, t-SNE of embeddings.

All functions write a PNG atomically (temporary name, then rename) with matplotlib's Agg
backend, so they work on machines without a display.

Example:
    >>> import numpy as np, tempfile, os
    >>> rng = np.random.default_rng(0)
    >>> s = np.r_[rng.normal(2, 1, 300), rng.normal(0, 1, 300)]
    >>> y = np.r_[np.ones(300), np.zeros(300)]
    >>> p = os.path.join(tempfile.mkdtemp(), "det.png")
    >>> plot_det(s, y, p)
    >>> open(p, "rb").read(4) == b"\\x89PNG"
    True
"""

from __future__ import annotations

import os
from typing import Dict, Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402

from TrainAndTest.metrics.error_rates import (  # noqa: E402
    det_curve,
    eer_from_curve,
    min_dcf_from_curve,
)

_TICKS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4]


def _save(fig, path) -> None:
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}.png"
    fig.savefig(tmp, dpi=100, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def _thin(n: int, max_points: int) -> np.ndarray:
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, max_points).astype(np.int64), n - 1])


def plot_det(
    scores: Sequence[float],
    labels: Sequence[int],
    path,
    p_target: float = 0.01,
    title: str = "DET",
    max_points: int = 5000,
) -> None:
    """DET curve on normal-deviate axes with the EER and minDCF points marked.

    Args:
        scores, labels: trial scores and 1/0 target labels.
        path: output PNG.
        p_target: prior of the minDCF point that is marked.
        title: figure title.
        max_points: the curve is thinned to about this many points (10M trials plot fast).
    """
    curve = det_curve(scores, labels)
    eer, _ = eer_from_curve(curve)
    dcf, dcf_thr = min_dcf_from_curve(curve, p_target)
    eps = 1e-6
    idx = _thin(len(curve.p_fa), max_points)
    x = norm.ppf(np.clip(curve.p_fa[idx], eps, 1 - eps))
    y = norm.ppf(np.clip(curve.p_miss[idx], eps, 1 - eps))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(x, y, lw=1.5, label="DET")
    e = norm.ppf(np.clip(eer, eps, 1 - eps))
    ax.plot([e], [e], "o", color="C3", label=f"EER {100 * eer:.2f}%")
    k = int(np.searchsorted(curve.thresholds, dcf_thr))
    k = min(k, len(curve.p_fa) - 1)
    ax.plot(norm.ppf(np.clip(curve.p_fa[k], eps, 1 - eps)),
            norm.ppf(np.clip(curve.p_miss[k], eps, 1 - eps)), "s", color="C2",
            label=f"minDCF({p_target:g}) {dcf:.4f}")
    ticks = norm.ppf(_TICKS)
    labels_txt = [f"{100 * t:g}" for t in _TICKS]
    ax.set_xticks(ticks, labels_txt)
    ax.set_yticks(ticks, labels_txt)
    lim = norm.ppf([0.0005, 0.5])
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("False acceptance rate (%)")
    ax.set_ylabel("False rejection rate (%)")
    ax.set_title(title)
    ax.grid(True, ls=":")
    ax.legend(loc="upper right")
    _save(fig, path)


def plot_score_histograms(scores: Sequence[float], labels: Sequence[int], path,
                          bins: int = 100, title: str = "Scores") -> None:
    """Overlaid density histograms of target and non-target scores."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    fig, ax = plt.subplots(figsize=(6, 4))
    edges = np.histogram_bin_edges(s, bins=bins)
    ax.hist(s[~y], bins=edges, density=True, alpha=0.5, label=f"non-target ({(~y).sum()})")
    ax.hist(s[y], bins=edges, density=True, alpha=0.5, label=f"target ({y.sum()})")
    ax.set_xlabel("score")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    _save(fig, path)


def plot_tsne(
    embeddings: np.ndarray,
    speakers: Sequence[str],
    path,
    max_speakers: int = 20,
    max_points: int = 2000,
    seed: int = 0,
    title: str = "t-SNE of embeddings",
) -> Optional[Dict[str, int]]:
    """2-D t-SNE of embeddings, one colour per speaker.

    Args:
        embeddings: ``[n, dim]``.
        speakers: speaker of each row.
        path: output PNG.
        max_speakers: plot the speakers with most rows, at most this many.
        max_points: cap on the rows embedded (t-SNE is quadratic).
        seed: random seed (speaker choice ties and t-SNE initialisation).

    Returns:
        ``{speaker: rows plotted}``.
    """
    from sklearn.manifold import TSNE

    x = np.asarray(embeddings, dtype=np.float64)
    spk = np.asarray(speakers)
    names, counts = np.unique(spk, return_counts=True)
    chosen = names[np.argsort(-counts, kind="stable")[:max_speakers]]
    sel = np.flatnonzero(np.isin(spk, chosen))
    if len(sel) > max_points:
        sel = np.sort(np.random.default_rng(seed).choice(sel, max_points, replace=False))
    if len(sel) < 4:
        raise ValueError(f"t-SNE needs at least 4 embeddings, got {len(sel)}")
    perplexity = float(min(30.0, (len(sel) - 1) / 3))
    y2 = TSNE(n_components=2, perplexity=perplexity, init="pca",
              random_state=seed).fit_transform(x[sel])
    fig, ax = plt.subplots(figsize=(6, 6))
    cmap = plt.get_cmap("tab20")
    plotted: Dict[str, int] = {}
    for i, name in enumerate(chosen):
        m = spk[sel] == name
        if m.any():
            ax.scatter(y2[m, 0], y2[m, 1], s=8, color=cmap(i % 20), label=str(name))
            plotted[str(name)] = int(m.sum())
    if len(plotted) <= 20:
        ax.legend(fontsize=6, markerscale=2, loc="best")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    _save(fig, path)
    return plotted
