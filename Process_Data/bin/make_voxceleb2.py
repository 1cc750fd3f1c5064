"""Prepare one VoxCeleb2 split with ffmpeg pipes (see ``Process_Data.corpora.voxceleb2``).

Example:
    python -m Process_Data.bin.make_voxceleb2 /corpora/voxceleb2/dev data/voxceleb2_dev
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dir; returns the exit status."""
    from Process_Data.corpora.common import run_main
    from Process_Data.corpora.voxceleb2 import prepare_voxceleb2

    p = argparse.ArgumentParser(prog="make_voxceleb2", description=__doc__.splitlines()[0])
    p.add_argument("root", help="split folder holding aac/ (e.g. voxceleb2/dev)")
    p.add_argument("out_dir", help="data dir to write")
    p.add_argument("--meta", default=None, help="vox2_meta.csv for spk2gender")
    p.add_argument("--sample-rate", type=int, default=16000, help="rate of the ffmpeg pipes")
    p.add_argument("--num-threads", type=int, default=8, help="threads for file checks")
    a = p.parse_args(argv)
    return run_main(p.prog, prepare_voxceleb2, a.root, a.out_dir, meta=a.meta,
                    sample_rate=a.sample_rate, num_threads=a.num_threads)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
