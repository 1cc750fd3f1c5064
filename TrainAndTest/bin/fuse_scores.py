"""Linear score fusion: ``python -m TrainAndTest.bin.fuse_scores``.

Usage:
    python -m TrainAndTest.bin.fuse_scores [--weights 1,1] [--block-size 250000] \\
        data/test/trials exp/a/scores/plda_test exp/b/scores/plda_test \\
        exp/fused/scores/plda_test

Writes, for every trial of the list, the weighted sum of its scores in the input files
(``enrol test score``, any order; each file must score every trial). Fuse scores that share a
scale, e.g. PLDA log-likelihood ratios of two models or calibrated scores
(``TrainAndTest.bin.calibrate``); fixed weights need no held-out data.

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
    p.add_argument("trials")
    p.add_argument("scores", nargs="+", help="two or more input score files, then the output")
    args = p.parse_args(argv)
    inputs, output = args.scores[:-1], args.scores[-1]
    if len(inputs) < 2:
        p.error("give at least two score files to fuse and the output file")

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
    report = MatchReport()
    try:
        streams = [iter_matched_scores(args.trials, path, args.block_size,
                                       report=report if i == 0 else None)
                   for i, path in enumerate(inputs)]
        with ScoreWriter(output) as out:
            for blocks in zip(*streams):
                fused = np.zeros(len(blocks[0].scores))
                for w, mb in zip(weights, blocks):
                    fused += w * mb.scores
                if all(mb.kept.all() for mb in blocks):
                    out.write(blocks[0].trials.enrol, blocks[0].trials.test, fused)
            for s in streams:  # run each to its end: missing trials raise there
                for _ in s:
                    pass
    except (TrialsError, OSError) as e:
        print(f"fuse_scores: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"fuse_scores: {report.n_trials} trials, weights {weights} -> {output}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
