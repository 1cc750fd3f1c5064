"""Prepare VoxCeleb1-layout data dirs (see ``Process_Data.corpora.voxceleb1``).

Example:
    python -m Process_Data.bin.make_voxceleb1 ../shared/data/minivox data
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare ``<out>/<prefix>_{dev,test}``; returns the exit status."""
    from Process_Data.corpora.common import run_main
    from Process_Data.corpora.voxceleb1 import prepare_voxceleb1

    p = argparse.ArgumentParser(prog="make_voxceleb1", description=__doc__.splitlines()[0])
    p.add_argument("root", help="corpus root holding wav/")
    p.add_argument("out_dir", help="parent of the data dirs (data)")
    p.add_argument("--prefix", default="voxceleb1", help="data dir name prefix")
    p.add_argument("--meta", default=None, help="speaker meta file (default: <root>/meta.csv)")
    p.add_argument("--test-speakers", default=None, help="file of test speakers, one a line")
    p.add_argument("--trials-list", action="append", default=[], help="extra trial list")
    p.add_argument("--no-durations", action="store_true", help="do not write utt2dur")
    p.add_argument("--sample-rate", type=int, default=16000, help="rate of m4a pipes")
    p.add_argument("--num-threads", type=int, default=8, help="threads for audio checks")
    a = p.parse_args(argv)
    return run_main(
        p.prog, prepare_voxceleb1, a.root, a.out_dir, prefix=a.prefix, meta=a.meta,
        test_speakers=a.test_speakers, trials_lists=a.trials_list,
        durations=not a.no_durations, sample_rate=a.sample_rate, num_threads=a.num_threads,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
