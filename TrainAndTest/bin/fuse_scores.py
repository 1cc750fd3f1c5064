"""Linear score fusion: ``python -m TrainAndTest.bin.fuse_scores``.

Usage:
    python -m TrainAndTest.bin.fuse_scores [--weights 1,1] [--block-size 250000] \\
        data/test/trials exp/a/scores/plda_test exp/b/scores/plda_test \\
        exp/fused/scores/plda_test
    python -m TrainAndTest.bin.fuse_scores --fit-trials data/dev_val/trials \\
        --fit-scores exp/a/scores/plda_dev_val,exp/b/scores/cosine_asnorm_dev_val \\
        [--p-target 0.5] [--save exp/fused/fusion.npz] \\
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
            weights, bias = _fit(args.fit_trials, fit_scores, args.p_target, args.block_size)
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


def _fit(trials: str, scores: List[str], p_target: float, block_size: int):
    """Fusion weights (one per score file) and bias learned on a labelled list."""
    import numpy as np

    from TrainAndTest.backend.calibration import LogisticCalibration
    from TrainAndTest.backend.calibration_files import read_labelled_scores

    columns, labels = [], None
    for path in scores:
        values, y, _ = read_labelled_scores(trials, path, block_size)
        columns.append(values)
        labels = y  # every file scores every trial, in list order: the same labels
    cal = LogisticCalibration(p_target).fit(columns[0], labels,
                                            np.stack(columns[1:], axis=1))
    return [float(w) for w in cal.weights], cal.bias


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
