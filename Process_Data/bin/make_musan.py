"""Prepare MUSAN music/noise/speech data dirs (see ``Process_Data.corpora.musan``).

Example:
    python -m Process_Data.bin.make_musan ../shared/data/musan_mini data
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dirs; returns the exit status."""
    from Process_Data.corpora.common import run_main
    from Process_Data.corpora.musan import prepare_musan

    p = argparse.ArgumentParser(prog="make_musan", description=__doc__.splitlines()[0])
    p.add_argument("root", help="MUSAN root")
    p.add_argument("out_dir", help="parent of the data dirs")
    p.add_argument("--prefix", default="musan", help="data dir name prefix")
    p.add_argument("--use-vocals", action="store_true", help="keep music with vocals")
    p.add_argument("--num-threads", type=int, default=8, help="threads for audio checks")
    a = p.parse_args(argv)
    return run_main(p.prog, prepare_musan, a.root, a.out_dir, prefix=a.prefix,
                    use_vocals=a.use_vocals, num_threads=a.num_threads)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
