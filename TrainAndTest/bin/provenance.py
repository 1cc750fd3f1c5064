"""Write the provenance block at the top of RESULTS.md: ``python -m TrainAndTest.bin.provenance``.

Usage:
    python -m TrainAndTest.bin.provenance --config conf/train/demo.yaml \\
        --exp-dir exp/demo --train-data data/demo_dev [--overrides "--train_conf.epochs 1"] \\
        [--note "skipped: ..."] exp/demo/RESULTS.md data/demo_test/trials [more trials ...]

The block (git sha and dirty state, config name and sha256, front end, training data size,
every trial list with line count and sha256, machine; see
:mod:`TrainAndTest.metrics.provenance`) replaces whatever is above the results table; the
table is kept, so this can run before or after the rows are written.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments and write the block; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.provenance",
                                description=__doc__.splitlines()[0])
    p.add_argument("results", help="RESULTS.md to write the block into")
    p.add_argument("trials", nargs="*", help="every trial list that is scored")
    p.add_argument("--config", required=True, help="training config as given to the recipe")
    p.add_argument("--exp-dir", required=True, help="experiment dir (config.yaml, environment.yaml)")
    p.add_argument("--train-data", required=True, help="data dir the model was trained on")
    p.add_argument("--overrides", default="", help="trainer overrides passed by the recipe")
    p.add_argument("--note", action="append", default=[], help="extra line (repeatable)")
    args = p.parse_args(argv)

    from TrainAndTest.metrics.provenance import provenance_lines
    from TrainAndTest.metrics.results import set_preamble

    try:
        lines = provenance_lines(args.config, args.exp_dir, args.train_data, args.trials,
                                 overrides=args.overrides, notes=args.note)
        set_preamble(args.results, "\n".join(["# Results", ""] + lines + ["", "## Scores"]))
    except (OSError, ValueError) as e:
        print(f"provenance: ERROR: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
