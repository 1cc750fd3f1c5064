"""How far an EER (or the EER difference of two systems) moves with the speakers of a list:
``python -m TrainAndTest.bin.bootstrap_eer``.

Usage:
    python -m TrainAndTest.bin.bootstrap_eer [--reps 1000] [--seed 0] \\
        data/val/trials data/val/utt2spk exp/a/scores/plda [exp/b/scores/cosine]

A validation split holds few speakers, and its trials are not independent: every trial of
a speaker moves with that speaker. This resamples the speakers (each trial belongs to the
speaker of its enrolment side, through utt2spk), with replacement, ``--reps`` times, and
recomputes the EER on each resample. It prints the EER of each score file with the standard
deviation and the 90 % interval of its resamples; with two score files also their paired
difference (first minus second) on the same resamples and the share of resamples in
which the first is lower. A difference whose interval holds 0 is one the list cannot
resolve: a choice between the two systems on that list is a coin toss.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np


@dataclass(frozen=True)
class Bootstrap:
    """EERs (fractions) of the full list and of each resample, one row per score file."""

    full: np.ndarray  # (systems,)
    reps: np.ndarray  # (reps, systems)
    speakers: int


def speaker_groups(enrol: Sequence[str], utt2spk: Mapping[str, str], where: str) -> List[np.ndarray]:
    """Trial indices per enrolment speaker (in first-seen order)."""
    rows: Dict[str, List[int]] = {}
    for i, u in enumerate(enrol):
        spk = utt2spk.get(u)
        if spk is None:
            raise ValueError(f"{where}: enrolment id {u} (trial {i + 1}) is not in the utt2spk")
        rows.setdefault(spk, []).append(i)
    return [np.asarray(r, dtype=np.int64) for r in rows.values()]


def bootstrap_eers(scores: Sequence[np.ndarray], labels: np.ndarray,
                   groups: Sequence[np.ndarray], reps: int = 1000, seed: int = 0) -> Bootstrap:
    """EERs of each score array on the full list and on ``reps`` speaker resamples.

    Every resample draws ``len(groups)`` speakers with replacement and keeps all their
    trials (a speaker drawn twice counts twice); all score arrays see the same resamples.
    A resample without targets or without non-targets is drawn again.

    Example:
        >>> s = np.array([2.0, 1.0, 0.0, -1.0]); lab = np.array([1, 0, 1, 0])
        >>> b = bootstrap_eers([s, s], lab, [np.array([0, 1]), np.array([2, 3])], reps=20)
        >>> bool(np.all(b.reps[:, 0] == b.reps[:, 1]))
        True
    """
    from TrainAndTest.metrics.error_rates import compute_eer

    if reps < 1:
        raise ValueError(f"--reps must be at least 1, got {reps}")
    labels = np.asarray(labels)
    full = np.array([compute_eer(s, labels)[0] for s in scores])
    rng = np.random.default_rng(seed)
    out = np.empty((reps, len(scores)))
    k = 0
    while k < reps:
        idx = np.concatenate([groups[j] for j in rng.integers(0, len(groups), len(groups))])
        lab = labels[idx]
        if lab.min() == lab.max():  # one class only: no EER
            continue
        out[k] = [compute_eer(s[idx], lab)[0] for s in scores]
        k += 1
    return Bootstrap(full=full, reps=out, speakers=len(groups))


def _summary(name: str, full: float, reps: np.ndarray) -> str:
    lo, hi = np.percentile(reps, [5, 95])
    return (f"{name}: EER {100 * full:.2f}%  sd {100 * reps.std():.2f}  "
            f"90% interval {100 * lo:.2f}-{100 * hi:.2f}")


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, bootstrap and print; returns the exit code."""
    from Process_Data.data_dir import read_kv
    from TrainAndTest.io.trials import match_scores, read_scores, read_trials

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.bootstrap_eer",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("trials")
    p.add_argument("utt2spk", help="speaker of every enrolment id of the list")
    p.add_argument("scores", nargs="+", help="one or two score files (enrol test score)")
    p.add_argument("--reps", type=int, default=1000, help="speaker resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if len(a.scores) > 2:
        p.error(f"one or two score files, got {len(a.scores)}")
    try:
        trials = read_trials(a.trials)
        if not trials.has_labels:
            raise ValueError(f"{a.trials}: the list has no target/nontarget labels")
        arrays = []
        for path in a.scores:
            e, t, s = read_scores(path)
            arrays.append(match_scores(trials, e, t, s, scores_path=path)[0])
        groups = speaker_groups(trials.enrol, read_kv(a.utt2spk), a.utt2spk)
        b = bootstrap_eers(arrays, trials.labels.astype(np.int64), groups, a.reps, a.seed)
    except (OSError, ValueError) as err:  # TrialsError and DataDirError are ValueErrors
        print(f"bootstrap_eer: {err}", file=sys.stderr)
        return 1
    print(f"{a.trials}: {len(trials)} trials of {b.speakers} enrolment speakers, "
          f"{a.reps} speaker resamples (seed {a.seed})")
    for i, path in enumerate(a.scores):
        print(_summary(path, b.full[i], b.reps[:, i]))
    if len(a.scores) == 2:
        d = b.reps[:, 0] - b.reps[:, 1]
        print(_summary("difference (first - second)", b.full[0] - b.full[1], d))
        print(f"first lower in {100 * np.mean(d < 0):.1f}% of the resamples, "
              f"equal in {100 * np.mean(d == 0):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
