"""Benchmark: EER + minDCF of 10M trials, and cosine scoring of 10M trials from 100k embeddings.

Usage:
    python bench/scoring.py [--n-trials 10000000] [--n-embeddings 100000] [--dim 256]

Prints wall time and peak memory of each part and the speed ratio against a reference
computed in the same run: ``sklearn.metrics.roc_curve`` operating points followed by the
same EER/minDCF formulas. Peak memory is measured with tracemalloc (numpy reports its
buffers to it) around each call, plus the process's peak RSS at the end.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from TrainAndTest.backend.cosine import cosine_score_pairs  # noqa: E402
from TrainAndTest.metrics.error_rates import compute_metrics  # noqa: E402

P_TARGETS = (0.01, 0.001, 0.05)


def sklearn_metrics(scores, labels):
    """Reference: roc_curve operating points, then EER and minDCF as in error_rates."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    fnr = 1 - tpr
    d = fnr - fpr
    k = int(np.flatnonzero(d <= 0)[0])
    a = 0.0 if d[k] == 0 else d[k - 1] / (d[k - 1] - d[k])
    eer = fnr[k] if d[k] == 0 else fnr[k - 1] + a * (fnr[k] - fnr[k - 1])
    out = {"eer": eer}
    for p in P_TARGETS:
        out[f"min_dcf@{p:g}"] = (p * fnr + (1 - p) * fpr).min() / min(p, 1 - p)
    return out


def measure(fn, *args, **kwargs):
    """(result, seconds, peak MiB allocated during the call)."""
    tracemalloc.start()
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def main() -> int:
    """Run both benchmarks and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-trials", type=int, default=10_000_000)
    ap.add_argument("--n-embeddings", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--target-fraction", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.n_trials
    labels = (rng.random(n) < args.target_fraction).astype(np.int8)
    # float32 scores rounded to 1e-4, like a score file: many ties.
    scores = np.round(rng.normal(0, 1, n) + 2.5 * labels, 4)
    print(f"# {n} trials ({int(labels.sum())} target), machine: see docs/BENCHMARKS.md")

    ours, t_ours, m_ours = measure(compute_metrics, scores, labels, P_TARGETS)
    print(f"ours    EER+minDCF(x3): {t_ours:6.2f} s  peak {m_ours:7.1f} MiB  "
          f"EER {100 * ours['eer']:.4f}%  minDCF(0.01) {ours['min_dcf@0.01']:.4f}")
    ref, t_ref, m_ref = measure(sklearn_metrics, scores, labels)
    print(f"sklearn EER+minDCF(x3): {t_ref:6.2f} s  peak {m_ref:7.1f} MiB  "
          f"EER {100 * ref['eer']:.4f}%  minDCF(0.01) {ref['min_dcf@0.01']:.4f}")
    diff = max(abs(ours[k] - ref[k]) for k in ref)
    print(f"ratio sklearn/ours time: {t_ref / t_ours:.2f}x  max |difference|: {diff:.2e}")
    del scores, labels

    m, d = args.n_embeddings, args.dim
    emb = rng.normal(size=(m, d)).astype(np.float32)
    ei = rng.integers(0, m, n)
    ti = rng.integers(0, m, n)
    cos, t_cos, m_cos = measure(cosine_score_pairs, emb, emb, ei, ti)
    check = slice(0, 1000)
    a, b = emb[ei[check]].astype(np.float64), emb[ti[check]].astype(np.float64)
    ref_cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    full_gib = m * m * 4 / 2**30
    print(f"cosine {n} trials from {m} x {d} embeddings: {t_cos:6.2f} s  peak "
          f"{m_cos:7.1f} MiB (a full {m} x {m} float32 matrix would be {full_gib:.1f} GiB); "
          f"max |err| vs float64 {np.abs(cos[check] - ref_cos).max():.1e}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"process peak RSS: {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
