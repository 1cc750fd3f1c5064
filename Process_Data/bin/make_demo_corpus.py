"""Synthesise the built-in demo corpus (see ``Process_Data.corpora.demo``).

Example:
    python -m Process_Data.bin.make_demo_corpus --num-speakers 200 --nj 2 data/demo_corpus
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and write the corpus; returns the exit status."""
    from Process_Data.corpora.common import run_main
    from Process_Data.corpora.demo import make_demo_corpus

    p = argparse.ArgumentParser(prog="make_demo_corpus", description=__doc__.splitlines()[0])
    p.add_argument("out_dir", help="corpus root to create (VoxCeleb1 layout)")
    p.add_argument("--num-speakers", type=int, default=200, help="speakers in all")
    p.add_argument("--utts-per-speaker", type=int, default=20, help="utterances per speaker")
    p.add_argument("--num-test-speakers", type=int, default=40, help="held-out speakers")
    p.add_argument("--num-target", type=int, default=3, help="target trials per test utt")
    p.add_argument("--num-nontarget", type=int, default=3, help="non-target trials per test utt")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    p.add_argument("--nj", type=int, default=2, help="worker processes")
    a = p.parse_args(argv)
    try:
        return run_main(
            p.prog, make_demo_corpus, a.out_dir, a.num_speakers, a.utts_per_speaker,
            a.num_test_speakers, a.num_target, a.num_nontarget, a.seed, a.nj,
        )  # fmt: skip
    except ValueError as e:
        print(f"{p.prog}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
