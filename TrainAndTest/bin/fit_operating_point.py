"""Fit the verifier's operating point: ``python -m TrainAndTest.bin.fit_operating_point``.

Usage:
    python -m TrainAndTest.bin.fit_operating_point <calib-trials> <calib-scores> <exp-dir>

e.g.:
    python -m TrainAndTest.bin.fit_operating_point data/train_calib/trials \\
        exp/ecapa_tdnn_demo/scores/cosine_train_calib exp/ecapa_tdnn_demo

Reads Kaldi trials (``enrol test target|nontarget``) drawn from training speakers held out
of the PLDA/cohort statistics (never test speakers) and their cosine scores (``enrol test
score``), fits ``llr = a * score + b`` and the threshold table (EER point, FAR 1 %,
FAR 0.1 %), writes ``<exp>/calibration/calibration.npz`` and ``thresholds.json`` (read by
``verify`` and copied into export sidecars), and prints one line ``actDCF(0.01)=..
Cllr=.. min-Cllr=..`` of these calibration trials.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fit, write; returns the exit code."""
    p = argparse.ArgumentParser(
        prog="python -m TrainAndTest.bin.fit_operating_point", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("trials")
    p.add_argument("scores")
    p.add_argument("exp_dir")
    p.add_argument("--scoring", default="cosine", help="what the scores are (verify: cosine)")
    args = p.parse_args(argv)
    prog = "fit_operating_point"

    from TrainAndTest.backend.calibration_files import read_labelled_scores

    if not os.path.isdir(args.exp_dir):
        print(f"{prog}: no such experiment dir {args.exp_dir}", file=sys.stderr)
        return 1
    try:
        s, y, _ = read_labelled_scores(args.trials, args.scores)
        # imported after the streamed read: torch loaded while pyarrow's reader threads
        # unwind from an error can abort the interpreter at exit
        from TrainAndTest.inference.operating_point import fit_operating_point

        m = fit_operating_point(s, y, args.exp_dir, scoring=args.scoring)
    except (OSError, ValueError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v:.4f}" for k, v in m.items()))
    return 0


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
