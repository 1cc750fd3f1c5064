"""Prepare a LibriSpeech subset as a data dir (see ``Process_Data.corpora.librispeech``).

Example:
    python -m Process_Data.bin.make_librispeech /corpora/LibriSpeech/dev-clean data/libri_dev
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dir; returns the exit status."""
    from Process_Data.corpora.common import run_main
    from Process_Data.corpora.librispeech import prepare_librispeech

    p = argparse.ArgumentParser(prog="make_librispeech", description=__doc__.splitlines()[0])
    p.add_argument("subset_dir", help="e.g. LibriSpeech/train-clean-100")
    p.add_argument("out_dir", help="data dir to write")
    p.add_argument("--speakers-txt", default=None, help="SPEAKERS.TXT (default: found nearby)")
    p.add_argument("--num-threads", type=int, default=8, help="threads for audio checks")
    a = p.parse_args(argv)
    return run_main(p.prog, prepare_librispeech, a.subset_dir, a.out_dir,
                    speakers_txt=a.speakers_txt, num_threads=a.num_threads)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
