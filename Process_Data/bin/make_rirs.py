"""Prepare RIRS_NOISES impulse-response data dirs (see ``Process_Data.corpora.rirs``).

Example:
    python -m Process_Data.bin.make_rirs ../shared/data/RIRS_NOISES_mini data
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dirs; returns the exit status."""
    from Process_Data.corpora.common import run_main
    from Process_Data.corpora.rirs import prepare_rirs

    p = argparse.ArgumentParser(prog="make_rirs", description=__doc__.splitlines()[0])
    p.add_argument("root", help="the RIRS_NOISES folder")
    p.add_argument("out_dir", help="parent of the data dirs")
    p.add_argument("--prefix", default="rirs", help="data dir name prefix")
    p.add_argument("--sets", default="real,simulated", help="comma-separated RIR sets")
    p.add_argument("--num-threads", type=int, default=8, help="threads for audio checks")
    a = p.parse_args(argv)
    return run_main(p.prog, prepare_rirs, a.root, a.out_dir, prefix=a.prefix,
                    sets=a.sets.split(","), num_threads=a.num_threads)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
