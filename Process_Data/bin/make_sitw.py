"""Prepare SITW enrolment/test data dirs with core-core trials (``Process_Data.corpora.sitw``).

Example:
    python -m Process_Data.bin.make_sitw /corpora/sitw data
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dirs; returns the exit status."""
    from Process_Data.corpora.common import run_main
    from Process_Data.corpora.sitw import prepare_sitw

    p = argparse.ArgumentParser(prog="make_sitw", description=__doc__.splitlines()[0])
    p.add_argument("root", help="SITW root (holding dev/ and eval/)")
    p.add_argument("out_dir", help="parent of the data dirs")
    p.add_argument("--parts", default="dev,eval", help="comma-separated parts")
    p.add_argument("--num-threads", type=int, default=8, help="threads for audio checks")
    a = p.parse_args(argv)
    return run_main(p.prog, prepare_sitw, a.root, a.out_dir, parts=a.parts.split(","),
                    num_threads=a.num_threads)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
