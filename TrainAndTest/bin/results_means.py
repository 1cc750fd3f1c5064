"""Mean rows over per-list results: ``python -m TrainAndTest.bin.results_means``.

Usage:
    python -m TrainAndTest.bin.results_means [--prefix trials_] exp/x/RESULTS.md

For every system and test set of RESULTS.md with two or more trial lists named
``<prefix>*`` (minivox: one list per source corpus), adds the row ``<set>/mean(<prefix>*)``
holding the mean EER and minDCF of those lists, the figure the minivox benchmark reports.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments and add the mean rows; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.results_means")
    p.add_argument("--prefix", default="trials_", help="file-name prefix of the per-list rows")
    p.add_argument("results")
    args = p.parse_args(argv)
    if not os.path.isfile(args.results):
        print(f"results_means: ERROR: no results file {args.results}", file=sys.stderr)
        return 1
    from TrainAndTest.metrics.results import add_list_means

    rows = add_list_means(args.results, args.prefix)
    for r in rows:
        print(f"{r['system']} {r['trials']} EER% {r.get('EER%', '')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
