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

With ``--criterion`` it bootstraps the recipe's selection criterion instead of one list's
EER: the mean, over the given data dirs, of the mean EER over each dir's ``trials_*`` lists
(its ``trials`` where it has fewer than two), as ``select_backend`` and ``fuse_exps.sh``
compute it. Each list's enrolment speakers are resampled on their own (a per-domain list
keeps its size), and the copies of a split (the same list names with the same trials, e.g.
a validation split and its telephone copy) share every draw. The systems are then score-file
prefixes, the file of a list being ``<prefix>_<list>_<dir name>``::

    python -m TrainAndTest.bin.bootstrap_eer \\
        --criterion data/minivox_dev_val,data/minivox_dev_val_tel \\
        exp/a/scores/plda_adapt_w5 exp/fused/scores/fused_cv
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class TrialList:
    """One trial list: its labels, trial indices per enrolment speaker, and the scores of
    every copy (outer) and system (inner) on it."""

    labels: np.ndarray
    groups: Sequence[np.ndarray]
    scores: Sequence[Sequence[np.ndarray]]  # [copy][system]


def bootstrap_mean_eers(lists: Sequence[TrialList], reps: int = 1000, seed: int = 0) -> Bootstrap:
    """The mean EER over lists and copies, for each system, on the full lists and on
    ``reps`` resamples.

    In every resample each list draws ``len(groups)`` of its speakers with replacement
    (keeping all their trials); the copies of a list and all systems see the same draw. A
    list's draw without targets or without non-targets is drawn again.
    """
    from TrainAndTest.metrics.error_rates import compute_eer

    if reps < 1:
        raise ValueError(f"--reps must be at least 1, got {reps}")
    if not lists:
        raise ValueError("no trial lists to bootstrap")
    n_sys = len(lists[0].scores[0])

    def mean_eer(idx_of):
        tot = np.zeros(n_sys)
        cnt = 0
        for tl, idx in zip(lists, idx_of):
            lab = tl.labels if idx is None else tl.labels[idx]
            for copy in tl.scores:
                tot += [compute_eer(s if idx is None else s[idx], lab)[0] for s in copy]
                cnt += 1
        return tot / cnt

    full = mean_eer([None] * len(lists))
    rng = np.random.default_rng(seed)
    out = np.empty((reps, n_sys))
    for k in range(reps):
        draws = []
        for n, tl in enumerate(lists):
            for _ in range(1000):
                idx = np.concatenate([tl.groups[j] for j in
                                      rng.integers(0, len(tl.groups), len(tl.groups))])
                lab = tl.labels[idx]
                if lab.min() != lab.max():  # one class only: no EER
                    break
            else:
                raise ValueError(f"list {n + 1}: 1000 speaker draws in a row held one class "
                                 "only (every speaker's trials are all targets or all non-targets)")
            draws.append(idx)
        out[k] = mean_eer(draws)
    return Bootstrap(full=full, reps=out, speakers=sum(len(tl.groups) for tl in lists))


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
    return bootstrap_mean_eers([TrialList(np.asarray(labels), groups, [list(scores)])],
                               reps, seed)


def _load(trials_path: str, score_paths: Sequence[str]):
    """(trials, score arrays in trial order) of one labelled list; named errors."""
    from TrainAndTest.io.trials import match_scores, read_scores, read_trials

    trials = read_trials(trials_path)
    if not trials.has_labels:
        raise ValueError(f"{trials_path}: the list has no target/nontarget labels")
    arrays = []
    for path in score_paths:
        e, t, s = read_scores(path)
        arrays.append(match_scores(trials, e, t, s, scores_path=path)[0])
    return trials, arrays


def _groups(trials, utt2spk_path: str) -> List[np.ndarray]:
    """The list's trial indices per enrolment speaker, speakers from ``utt2spk_path``."""
    from Process_Data.data_dir import read_kv

    return speaker_groups(trials.enrol, read_kv(utt2spk_path), utt2spk_path)


def criterion_lists(dirs: Sequence[str], prefixes: Sequence[str]) -> List[TrialList]:
    """The lists of the selection criterion over ``dirs`` (copies of one split), each with
    the scores ``<prefix>_<list>_<dir name>`` of every prefix."""
    names = None
    for d in dirs:
        found = sorted(p.name for p in Path(d).glob("trials_*") if p.is_file())
        if len(found) < 2:  # as results.add_list_means: no mean of one per-domain list
            found = ["trials"] if (Path(d) / "trials").is_file() else []
        if not found:
            raise ValueError(f"--criterion: {d} has no trials file and fewer than two trials_*")
        if names is None:
            names = found
        elif found != names:
            raise ValueError(f"--criterion: {d} holds the lists {' '.join(found)}, but "
                             f"{dirs[0]} holds {' '.join(names)}: the dirs must be copies of one split")
    out = []
    for name in names:
        first = None
        copies = []
        for d in dirs:
            trials_path = str(Path(d) / name)
            scores = [f"{p}_{name}_{Path(d).name}" for p in prefixes]
            trials, arrays = _load(trials_path, scores)
            if first is None:  # the copies share the first one's speakers and draws
                first = (trials_path, trials, _groups(trials, str(Path(d) / "utt2spk")))
            elif (trials.enrol != first[1].enrol or trials.test != first[1].test
                  or not np.array_equal(trials.labels, first[1].labels)):
                raise ValueError(f"--criterion: {trials_path} differs from {first[0]}: "
                                 "the dirs must be copies of one split (the same trials)")
            copies.append(arrays)
        out.append(TrialList(first[1].labels.astype(np.int64), first[2], copies))
    return out


def _summary(name: str, full: float, reps: np.ndarray) -> str:
    lo, hi = np.percentile(reps, [5, 95])
    return (f"{name}: EER {100 * full:.2f}%  sd {100 * reps.std():.2f}  "
            f"90% interval {100 * lo:.2f}-{100 * hi:.2f}")


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, bootstrap and print; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.bootstrap_eer",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+",
                   help="<trials> <utt2spk> <scores a> [<scores b>]; with --criterion: "
                        "<score prefix a> [<score prefix b>]")
    p.add_argument("--criterion", default="",
                   help="comma-separated data dirs (copies of one split): bootstrap the mean "
                        "over them of the mean EER over each one's trials_* lists")
    p.add_argument("--reps", type=int, default=1000, help="speaker resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--one-line", action="store_true",
                   help="with two systems: print only one line on their difference (for reports)")
    a = p.parse_args(argv)
    if a.criterion:
        names = a.inputs
        if len(names) > 2:
            p.error(f"with --criterion: one or two score prefixes, got {len(names)}")
    else:
        if len(a.inputs) < 3:
            p.error("expected <trials> <utt2spk> <scores a> [<scores b>]")
        names = a.inputs[2:]
        if len(names) > 2:
            p.error(f"one or two score files, got {len(names)}")
    if a.one_line and len(names) != 2:
        p.error("--one-line needs two systems")
    try:
        if a.criterion:
            dirs = [d for d in a.criterion.split(",") if d]
            lists = criterion_lists(dirs, names)
            b = bootstrap_mean_eers(lists, a.reps, a.seed)
            head = (f"criterion over {', '.join(dirs)}: mean EER of {len(lists)} lists x "
                    f"{len(dirs)} copies, {b.speakers} enrolment speakers resampled within "
                    f"their list, {a.reps} resamples (seed {a.seed})")
        else:
            trials, arrays = _load(a.inputs[0], names)
            b = bootstrap_eers(arrays, trials.labels.astype(np.int64),
                               _groups(trials, a.inputs[1]), a.reps, a.seed)
            head = (f"{a.inputs[0]}: {len(trials)} trials of {b.speakers} enrolment speakers, "
                    f"{a.reps} speaker resamples (seed {a.seed})")
    except (OSError, ValueError) as err:  # TrialsError and DataDirError are ValueErrors
        print(f"bootstrap_eer: {err}", file=sys.stderr)
        return 1
    d = b.reps[:, 0] - b.reps[:, 1] if len(names) == 2 else None  # paired differences
    if a.one_line:
        lo, hi = np.percentile(d, [5, 95])
        print(f"difference {100 * (b.full[0] - b.full[1]):.2f} (sd {100 * d.std():.2f}, 90% "
              f"interval {100 * lo:.2f} to {100 * hi:.2f}); the first lower in "
              f"{100 * np.mean(d < 0):.1f}% of {a.reps} resamples of the {b.speakers} "
              "enrolment speakers")
        return 0
    print(head)
    for i, name in enumerate(names):
        print(_summary(name, b.full[i], b.reps[:, i]))
    if d is not None:
        print(_summary("difference (first - second)", b.full[0] - b.full[1], d))
        print(f"first lower in {100 * np.mean(d < 0):.1f}% of the resamples, "
              f"equal in {100 * np.mean(d == 0):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
