"""Linear score fusion: ``python -m TrainAndTest.bin.fuse_scores``.

Usage:
    python -m TrainAndTest.bin.fuse_scores [--weights 1,1] data/test/trials \\
        exp/a/scores/plda_test exp/b/scores/plda_test exp/fused/scores/plda_test

Writes, for every trial of the list, the weighted sum of its scores in the input files
(``enrol test score``, any order; each file must score every trial). Fuse scores that share a
scale, e.g. PLDA log-likelihood ratios of two models or calibrated scores
(``TrainAndTest.bin.calibrate``); fixed weights need no held-out data.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fuse, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.fuse_scores")
    p.add_argument("--weights", default="", help="comma-separated, one per input (default 1 each)")
    p.add_argument("trials")
    p.add_argument("scores", nargs="+", help="two or more input score files, then the output")
    args = p.parse_args(argv)
    inputs, output = args.scores[:-1], args.scores[-1]
    if len(inputs) < 2:
        p.error("give at least two score files to fuse and the output file")

    import numpy as np

    from TrainAndTest.io.trials import (
        TrialsError,
        match_scores,
        read_scores,
        read_trials,
        write_scores,
    )

    try:
        weights = (
            [float(w) for w in args.weights.split(",")] if args.weights else [1.0] * len(inputs)
        )
    except ValueError:
        p.error(f"--weights must be numbers separated by commas, got '{args.weights}'")
    if len(weights) != len(inputs):
        p.error(f"--weights has {len(weights)} values for {len(inputs)} score files")
    try:
        trials = read_trials(args.trials)
        fused = np.zeros(len(trials))
        for w, path in zip(weights, inputs):
            enrol, test, scores = read_scores(path)
            fused += w * match_scores(trials, enrol, test, scores, scores_path=path)[0]
        write_scores(output, trials.enrol, trials.test, fused)
    except (TrialsError, OSError) as e:
        print(f"fuse_scores: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"fuse_scores: {len(trials)} trials, weights {weights} -> {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
