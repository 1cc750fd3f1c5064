"""Calibrate scores to LLRs by logistic regression: ``python -m TrainAndTest.bin.calibrate``.

Usage:
    python -m TrainAndTest.bin.calibrate [--p-target 0.5] [--utt2dur data/dev/utt2dur] \\
        [--save calib.npz] [--block-size 250000] data/dev/trials exp/x/scores/plda_dev \\
        exp/x/scores/plda_test exp/x/scores/plda_test_calibrated

Fits ``llr = a * score + b`` (plus quality terms: with ``--utt2dur``, the log durations of
the shorter and longer side, as in QMF) on the labelled development trials and scores,
then writes calibrated scores of another score file (``enrol test score``). The same
utt2dur must cover both lists' ids.

The fit holds the development scores and labels (9 bytes a trial, 16 more with
``--utt2dur``), read in blocks without their ids; the file to calibrate is read,
transformed and written a block of ``--block-size`` lines at a time (temporary name,
renamed when complete), so its length does not matter.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fit, apply, write; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.calibrate")
    p.add_argument("dev_trials")
    p.add_argument("dev_scores")
    p.add_argument("scores_in")
    p.add_argument("scores_out")
    p.add_argument("--p-target", type=float, default=0.5)
    p.add_argument("--utt2dur", default="", help="durations for quality measures")
    p.add_argument("--save", default="", help="write the calibration parameters (.npz)")
    p.add_argument("--allow-missing", action="store_true")
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="lines read and written at a time")
    args = p.parse_args(argv)

    import numpy as np

    from Process_Data.data_dir import DataDirError
    from TrainAndTest.backend.calibration import LogisticCalibration
    from TrainAndTest.backend.calibration_files import (
        calibrate_score_file,
        duration_quality,
        read_labelled_scores,
    )
    from TrainAndTest.io.trials import TrialsError

    try:
        quality = duration_quality(args.utt2dur) if args.utt2dur else None
        values, labels, q_dev = read_labelled_scores(
            args.dev_trials, args.dev_scores, args.block_size, args.allow_missing, quality)
        cal = LogisticCalibration(args.p_target).fit(values, labels, q_dev)
        del values, labels, q_dev
        count = calibrate_score_file(cal, args.scores_in, args.scores_out, quality,
                                     args.block_size)
        if args.save:
            from Process_Data.data_dir import atomic_savez

            atomic_savez(args.save, cal.state(), npz_suffix=True)
    except (TrialsError, DataDirError, ValueError, OSError) as e:
        print(f"calibrate: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"calibrate: weights {np.round(cal.weights, 4).tolist()} bias {cal.bias:.4f}; "
          f"wrote {count} LLRs to {args.scores_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
