"""Linear score fusion: ``python -m TrainAndTest.bin.fuse_scores``.

Usage:
    python -m TrainAndTest.bin.fuse_scores [--weights 1,1] [--block-size 250000] \\
        data/test/trials exp/a/scores/plda_test exp/b/scores/plda_test \\
        exp/fused/scores/plda_test
    python -m TrainAndTest.bin.fuse_scores --fit-trials data/dev_val/trials \\
        --fit-scores exp/a/scores/plda_dev_val,exp/b/scores/cosine_asnorm_dev_val \\
        [--p-target 0.5] [--save exp/fused/fusion.npz] \\
        [--cv-groups data/dev_val/utt2spk --cv-out exp/fused/scores/fused_cv_dev_val] \\
        data/test/trials exp/a/scores/plda_test exp/b/scores/cosine_asnorm_test \\
        exp/fused/scores/fused_test
    python -m TrainAndTest.bin.fuse_scores --fusion exp/fused/fusion.npz \
        data/test/trials_2 exp/a/scores/plda_test_2 exp/b/scores/cosine_asnorm_test_2 \
        exp/fused/scores/fused_test_2

Writes, for every trial of the list, the weighted sum of its scores in the input files
(``enrol test score``, any order; each file must score every trial). Fuse scores that share a
scale, e.g. PLDA log-likelihood ratios of two models or calibrated scores
(``TrainAndTest.bin.calibrate``); fixed weights need no held-out data.

With ``--fit-trials`` and ``--fit-scores`` (the same systems' scores of a labelled
development list, in the order of the inputs) the weights and a bias are learned instead:
logistic regression of the target label on the systems' scores, the cross-entropy
weighted at ``--p-target`` (linear fusion as in FoCal; the same fit as
``TrainAndTest.bin.calibrate``, one weight per system), so the output is a calibrated
log-likelihood ratio. Fit on held-out training speakers, never on the evaluation list.
``--fusion`` applies the weights and bias that ``--save`` wrote to further lists, without
fitting again.

The development list's own fused scores are in-sample: the more inputs a fusion has, the
better it looks there, so they cannot compare fusions of different sizes. With
``--cv-groups <utt2spk>`` (the development list's speakers) and ``--cv-out <file>``, the
development list is also fused out of fold: its enrolment speakers are dealt into
``--cv-folds`` folds (seeded shuffle, seed 0), and each fold's trials are fused with the
weights learned on the trials that touch no speaker of that fold. Those scores compare
fusions (and single systems) fairly; the weights applied elsewhere are still the ones
learned on the whole list.

The list and every input are read a block of ``--block-size`` trials at a time, side by
side (an input in another order than the list is looked up in a sorted table of its
pairs instead), and the output is written block by block (temporary name, renamed when
complete).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fuse, write; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.fuse_scores")
    p.add_argument("--weights", default="", help="comma-separated, one per input (default 1 each)")
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="trials read and written at a time")
    p.add_argument("--fit-trials", default="",
                   help="labelled development list: learn the weights and a bias on it")
    p.add_argument("--fit-scores", default="",
                   help="comma-separated development score files, one per input, in order")
    p.add_argument("--p-target", type=float, default=0.5,
                   help="prior of the learned fusion's cross-entropy")
    p.add_argument("--save", default="", help="write the learned weights and bias (.npz)")
    p.add_argument("--fusion", default="", help="apply the weights and bias of a --save file")
    p.add_argument("--cv-groups", default="",
                   help="utt2spk of the development list: also fuse it out of fold (--cv-out)")
    p.add_argument("--cv-out", default="", help="write the out-of-fold development scores here")
    p.add_argument("--cv-folds", type=int, default=5, help="folds of speakers (default 5)")
    p.add_argument("trials")
    p.add_argument("scores", nargs="+", help="two or more input score files, then the output")
    args = p.parse_args(argv)
    inputs, output = args.scores[:-1], args.scores[-1]
    if len(inputs) < 2:
        p.error("give at least two score files to fuse and the output file")
    fit_scores = [f for f in args.fit_scores.split(",") if f]
    if bool(args.fit_trials) != bool(fit_scores):
        p.error("--fit-trials and --fit-scores go together")
    if fit_scores and args.weights:
        p.error("give --weights or learn them with --fit-trials/--fit-scores, not both")
    if fit_scores and len(fit_scores) != len(inputs):
        p.error(f"--fit-scores has {len(fit_scores)} files for {len(inputs)} score files")
    if args.fusion and (fit_scores or args.weights):
        p.error("--fusion gives the weights: not with --weights or --fit-trials/--fit-scores")
    if bool(args.cv_groups) != bool(args.cv_out):
        p.error("--cv-groups and --cv-out go together")
    if args.cv_groups and not fit_scores:
        p.error("--cv-groups needs --fit-trials/--fit-scores (the list to fuse out of fold)")
    if args.cv_folds < 2:
        p.error(f"--cv-folds must be at least 2, got {args.cv_folds}")

    import numpy as np

    from TrainAndTest.io.trial_stream import MatchReport, ScoreWriter, iter_matched_scores
    from TrainAndTest.io.trials import TrialsError

    try:
        weights = (
            [float(w) for w in args.weights.split(",")] if args.weights else [1.0] * len(inputs)
        )
    except ValueError:
        p.error(f"--weights must be numbers separated by commas, got '{args.weights}'")
    if len(weights) != len(inputs):
        p.error(f"--weights has {len(weights)} values for {len(inputs)} score files")
    bias = 0.0
    report = MatchReport()
    try:
        if args.fusion:
            weights, bias = _load_fusion(args.fusion, len(inputs))
        if fit_scores:
            columns, labels = _read_columns(args.fit_trials, fit_scores, args.block_size)
            weights, bias = _fit(columns, labels, args.p_target)
            if args.cv_groups:
                _cross_validate(args.fit_trials, columns, labels, args.cv_groups, args.cv_folds,
                                args.p_target, args.cv_out)
            if args.save:
                from Process_Data.data_dir import atomic_savez

                atomic_savez(args.save, {"weights": np.asarray(weights), "bias": np.asarray(bias),
                                         "p_target": np.asarray(args.p_target),
                                         "inputs": np.asarray(fit_scores)}, npz_suffix=True)
        streams = [iter_matched_scores(args.trials, path, args.block_size,
                                       report=report if i == 0 else None)
                   for i, path in enumerate(inputs)]
        with ScoreWriter(output) as out:
            for blocks in zip(*streams):
                fused = np.full(len(blocks[0].scores), bias)
                for w, mb in zip(weights, blocks):
                    fused += w * mb.scores
                if all(mb.kept.all() for mb in blocks):
                    out.write(blocks[0].trials.enrol, blocks[0].trials.test, fused)
            for s in streams:  # run each to its end: missing trials raise there
                for _ in s:
                    pass
    except (TrialsError, OSError, ValueError) as e:
        print(f"fuse_scores: ERROR: {e}", file=sys.stderr)
        return 1
    learned = (f", bias {bias:.6g} (learned on {args.fit_trials})" if fit_scores
               else f", bias {bias:.6g} (from {args.fusion})" if args.fusion else "")
    print(f"fuse_scores: {report.n_trials} trials, weights "
          f"{[round(w, 6) for w in weights]}{learned} -> {output}", file=sys.stderr)
    return 0


def _load_fusion(path: str, n_inputs: int):
    """Weights and bias of a ``--save`` file, checked against the number of inputs."""
    import numpy as np

    try:
        with np.load(path) as z:
            weights, bias = [float(w) for w in z["weights"]], float(z["bias"])
    except (KeyError, ValueError, EOFError) as e:
        raise ValueError(f"{path}: not a fusion file written by --save ({e})") from None
    if len(weights) != n_inputs:
        raise ValueError(f"{path}: {len(weights)} weights for {n_inputs} score files")
    return weights, bias


def _read_columns(trials: str, scores: List[str], block_size: int):
    """Each score file's scores of a labelled list, in list order, and the labels."""
    from TrainAndTest.backend.calibration_files import read_labelled_scores

    columns, labels = [], None
    for path in scores:
        values, y, _ = read_labelled_scores(trials, path, block_size)
        columns.append(values)
        labels = y  # every file scores every trial, in list order: the same labels
    return columns, labels


def _fit(columns, labels, p_target: float):
    """Fusion weights (one per score column) and bias learned on labelled scores."""
    import numpy as np

    from TrainAndTest.backend.calibration import LogisticCalibration

    cal = LogisticCalibration(p_target).fit(columns[0], labels,
                                            np.stack(columns[1:], axis=1))
    return [float(w) for w in cal.weights], cal.bias


def _cross_validate(trials: str, columns, labels, utt2spk: str, folds: int, p_target: float,
                    out: str) -> None:
    """Write the list fused out of fold: folds of enrolment speakers, each fold's trials
    fused with weights learned on the trials that touch none of its speakers."""
    import numpy as np

    from Process_Data.data_dir import read_kv
    from TrainAndTest.io.trials import read_trials, write_scores

    listed = read_trials(trials)
    spk = read_kv(utt2spk)
    for side in (listed.enrol, listed.test):
        missing = [u for u in side if u not in spk]
        if missing:
            raise ValueError(f"{utt2spk}: no speaker for {len(missing)} ids of {trials} "
                             f"(e.g. {missing[0]})")
    speakers = np.array(sorted(set(spk[u] for u in listed.enrol)))
    if len(speakers) < folds:
        raise ValueError(f"{trials}: {len(speakers)} enrolment speakers for {folds} folds")
    fold_of = {s: i % folds for i, s in enumerate(np.random.default_rng(0).permutation(speakers))}
    enrol_fold = np.array([fold_of[spk[u]] for u in listed.enrol])
    test_fold = np.array([fold_of.get(spk[u], -1) for u in listed.test])
    x = np.stack(columns, axis=1)
    y = np.asarray(labels).astype(bool)
    fused = np.empty(len(y))
    for f in range(folds):
        held, train = enrol_fold == f, (enrol_fold != f) & (test_fold != f)
        if y[train].all() or not y[train].any():
            raise ValueError(f"{trials}: without fold {f + 1} of {folds} no target or no "
                             "non-target trial is left to fit; give fewer --cv-folds")
        w, b = _fit(list(x[train].T), y[train], p_target)
        fused[held] = x[held] @ np.asarray(w) + b
    write_scores(out, listed.enrol, listed.test, fused)


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
