"""The threshold table beside RESULTS.md: ``python -m TrainAndTest.bin.threshold_report``.

Usage:
    python -m TrainAndTest.bin.threshold_report [--fitted-on NAME] <exp-dir> <out.md> \\
        [<trials> <scores>]...

e.g.:
    python -m TrainAndTest.bin.threshold_report --fitted-on demo_dev_calib/trials exp/demo \\
        exp/demo/thresholds.md data/demo_test/trials exp/demo/scores/cosine_trials_demo_test

Writes (temporary name, then rename) and prints a Markdown table of the operating points
stored in ``<exp>/calibration/thresholds.json`` (threshold at the EER point, FAR 1 % and
FAR 0.1 % of the calibration trials, with their error rates there: the targets) and, for
each labelled trial list with its scores (of the stored scoring, cosine in the recipe), the
FAR and FRR that each stored threshold gives on it. The lists' scores are held in memory
(9 bytes a trial).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, read the lists, write the table; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.threshold_report",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("exp_dir", help="experiment dir with calibration/thresholds.json")
    p.add_argument("out", help="Markdown file to write (e.g. <exp>/thresholds.md)")
    p.add_argument("pairs", nargs="*", help="<trials> <scores> pairs")
    p.add_argument("--fitted-on", default="", help="name of the calibration trials (header)")
    args = p.parse_args(argv)
    prog = "threshold_report"
    if len(args.pairs) % 2:
        print(f"{prog}: ERROR: trial lists and score files come in pairs, got "
              f"{len(args.pairs)} paths", file=sys.stderr)
        return 1

    from Process_Data.data_dir import atomic_write
    from TrainAndTest.backend.calibration_files import read_labelled_scores

    try:
        lists = []
        for trials, scores in zip(args.pairs[::2], args.pairs[1::2]):
            s, y, _ = read_labelled_scores(trials, scores)
            lists.append((f"{Path(trials).parent.name}/{Path(trials).name}", s, y))
        # imported after the streamed reads (torch with pyarrow's reader threads unwinding
        # from an error can abort the interpreter at exit)
        from TrainAndTest.inference.operating_point import load_operating_point, threshold_report

        text = threshold_report(load_operating_point(args.exp_dir), lists, args.fitted_on)
        with atomic_write(args.out) as f:
            f.write(text)
    except (ValueError, OSError) as e:
        print(f"{prog}: ERROR: {e}", file=sys.stderr)
        return 1
    print(text, end="")
    return 0


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
