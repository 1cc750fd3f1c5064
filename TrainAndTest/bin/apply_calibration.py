"""Apply a stored calibration to a score file: ``python -m TrainAndTest.bin.apply_calibration``.

Usage:
    python -m TrainAndTest.bin.apply_calibration [--block-size 250000] \\
        <exp-dir|calibration.npz> <scores-in> <scores-out>

e.g.:
    python -m TrainAndTest.bin.apply_calibration exp/ecapa_tdnn_demo \\
        exp/ecapa_tdnn_demo/scores/cosine_trials_demo_test \\
        exp/ecapa_tdnn_demo/scores/cosine_cal_trials_demo_test

Writes the log-likelihood ratio ``a * score + b`` of every ``enrol test score`` line, with
the calibration that ``fit_operating_point`` stored in ``<exp>/calibration/calibration.npz``
(fitted on held-out training speakers' trials; the scores must come from the same system,
cosine for the recipe). The file is read and written a block at a time (temporary name,
renamed when complete).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, load the calibration, write the LLRs; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.apply_calibration",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("calibration", help="exp dir (its calibration/calibration.npz) or an .npz")
    p.add_argument("scores_in")
    p.add_argument("scores_out")
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="lines read and written at a time")
    args = p.parse_args(argv)
    prog = "apply_calibration"

    from TrainAndTest.backend.calibration_files import calibrate_score_file, load_calibration
    from TrainAndTest.io.trials import TrialsError

    try:
        cal = load_calibration(args.calibration, score_only=True)
        count = calibrate_score_file(cal, args.scores_in, args.scores_out,
                                     block_size=args.block_size)
    except (TrialsError, ValueError, OSError) as e:
        print(f"{prog}: ERROR: {e}", file=sys.stderr)
        return 1
    scale, offset = float(cal.weights[0]), cal.bias
    sys.stderr.write(f"{prog}: {count} LLRs (llr = {scale:.4f} * score {offset:+.4f}) -> "
                     f"{args.scores_out}\n")
    return 0

if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
