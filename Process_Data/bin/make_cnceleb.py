"""Prepare CN-Celeb training and evaluation data dirs (see ``Process_Data.corpora.cnceleb``).

Example:
    python -m Process_Data.bin.make_cnceleb /corpora/CN-Celeb /corpora/CN-Celeb2 data
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dirs; returns the exit status."""
    from Process_Data.corpora.cnceleb import prepare_cnceleb
    from Process_Data.corpora.common import run_main

    p = argparse.ArgumentParser(prog="make_cnceleb", description=__doc__.splitlines()[0])
    p.add_argument("roots", nargs="+", help="CN-Celeb roots (holding data/), then out dir")
    p.add_argument("--prefix", default="cnceleb", help="data dir name prefix")
    p.add_argument("--num-threads", type=int, default=8, help="threads for audio checks")
    a = p.parse_args(argv)
    if len(a.roots) < 2:
        p.error("need at least one corpus root and the output dir")
    return run_main(p.prog, prepare_cnceleb, a.roots[:-1], a.roots[-1], prefix=a.prefix,
                    num_threads=a.num_threads)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
