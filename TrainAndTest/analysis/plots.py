"""Figures of the analyses (PNG, written atomically through ``metrics.plots``' Agg writer).

Example:
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "w.png")
    >>> plot_weights({"gfa": np.ones(4)}, p)
    >>> open(p, "rb").read(4) == b"\\x89PNG"
    True
"""

from __future__ import annotations

from typing import Dict, Mapping, Sequence

import numpy as np

from TrainAndTest.metrics.plots import _save, plt


def plot_overlays(x: np.ndarray, maps: Mapping[str, np.ndarray], path, title: str = "") -> None:
    """The input spectrogram ``[T, F]`` and each method's map over it, side by side."""
    n = len(maps) + 1
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.2), sharey=True, squeeze=False)
    axes = axes[0]
    axes[0].imshow(x.T, origin="lower", aspect="auto", cmap="gray")
    axes[0].set_title("input")
    axes[0].set_ylabel("bin")
    for ax, (name, m) in zip(axes[1:], maps.items()):
        a = np.abs(np.asarray(m, np.float64))
        ax.imshow(x.T, origin="lower", aspect="auto", cmap="gray")
        ax.imshow((a / a.max() if a.max() > 0 else a).T, origin="lower", aspect="auto",
                  cmap="jet", alpha=0.5)
        ax.set_title(name, fontsize=9)
    for ax in axes:
        ax.set_xlabel("frame")
    fig.suptitle(title, fontsize=9)
    _save(fig, path)


def plot_curves(curves: Mapping[str, Mapping[str, np.ndarray]], path) -> None:
    """Mean deletion and insertion curves per method (``{method: {"fractions",
    "deletion", "insertion"}}``), the random order dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for name, c in curves.items():
        style = "--" if name == "random" else "-"
        for ax, kind in zip(axes, ("deletion", "insertion")):
            ax.plot(c["fractions"], c[kind], style, label=name)
    for ax, kind in zip(axes, ("deletion", "insertion")):
        ax.set_title(kind)
        ax.set_xlabel("share of bins")
        ax.set_ylabel("normalised target")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    _save(fig, path)


def plot_lines(lines: Mapping[str, tuple], path, xlabel: str, ylabel: str) -> None:
    """One line per ``name: (x, y)``."""
    fig, ax = plt.subplots(figsize=(6, 3))
    for name, (x, y) in lines.items():
        ax.plot(np.asarray(x), np.asarray(y), "--" if name == "random" else "-", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    _save(fig, path)


def plot_weights(weights: Mapping[str, np.ndarray], path, xlabel: str = "bin") -> None:
    """One line per weight vector (frequency weights)."""
    plot_lines({n: (np.arange(len(w)), w) for n, w in weights.items()}, path, xlabel,
               "weight (mean 1)")


def plot_attention(x: np.ndarray, report: Mapping[str, object], path, title: str = "") -> None:
    """Spectrogram, per-channel attention, and the mean attention with energy and VAD."""
    fig, axes = plt.subplots(3, 1, figsize=(7, 7), sharex=True)
    axes[0].imshow(x.T, origin="lower", aspect="auto", cmap="gray")
    axes[0].set_ylabel("bin")
    per_channel = np.asarray(report["per_channel"])
    axes[1].imshow(per_channel, origin="lower", aspect="auto", cmap="viridis")
    axes[1].set_ylabel("channel")
    mean, energy, vad = (np.asarray(report[k], np.float64) for k in ("mean", "energy", "vad"))
    axes[2].plot(mean / max(mean.max(), 1e-12), label="mean attention")
    span = max(energy.max() - energy.min(), 1e-12)
    axes[2].plot((energy - energy.min()) / span, label="log energy", alpha=0.7)
    axes[2].fill_between(np.arange(len(vad)), 0, vad, alpha=0.2, step="mid", label="energy VAD")
    axes[2].set_xlabel("frame")
    axes[2].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"{title}  corr(attention, VAD) = {report['vad_correlation']:.2f}", fontsize=9)
    _save(fig, path)


def plot_histograms(values: Mapping[str, np.ndarray], path, xlabel: str, bins: int = 60) -> None:
    """Overlaid density histograms, one per named sample."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, v in values.items():
        v = np.asarray(v, np.float64)
        v = v[np.isfinite(v)]
        ax.hist(v, bins=bins, density=True, alpha=0.5,
                label=f"{name} (mean {v.mean():.3f}, n={len(v)})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    _save(fig, path)


def plot_loss_bound(scales: Sequence[float], bounds: Dict[str, Sequence[float]], path) -> None:
    """Loss lower bound against the scale ``s``, one line per (classes, margin) setting."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, b in bounds.items():
        ax.semilogy(scales, b, label=name)
    ax.set_xlabel("scale s")
    ax.set_ylabel("lower bound of the loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    _save(fig, path)
