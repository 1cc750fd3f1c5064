"""Cosine scoring of a trial list: ``python -m TrainAndTest.bin.score_cosine``.

Usage:
    python -m TrainAndTest.bin.score_cosine [--allow-missing] [--block-size 250000] \\
        data/test/trials exp/x/xvectors_test/xvector.scp exp/x/xvectors_test/xvector.scp \\
        exp/x/scores/cosine

Enrolment and test embeddings are a dir (its ``xvector.scp``), an ``.scp``, ``.ark`` or
``.npz``. Writes ``enrol test score`` lines in trial order, a block of ``--block-size``
trials at a time into a temporary name renamed when complete, so memory is the
embeddings plus one block whatever the length of the list. Trials naming an id without
an embedding are an error (count and examples) unless ``--allow-missing``.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, score, write; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.score_cosine")
    p.add_argument("trials")
    p.add_argument("enrol")
    p.add_argument("test")
    p.add_argument("scores")
    p.add_argument("--allow-missing", action="store_true")
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="trials scored and written at a time")
    args = p.parse_args(argv)

    from functools import partial

    from TrainAndTest.backend.cosine import gathered_dots, unit_rows
    from TrainAndTest.backend.trial_scoring import run_pair_scoring
    from TrainAndTest.io.embeddings import EmbeddingError, read_embeddings

    def build():
        enrol = read_embeddings(args.enrol)
        test = enrol if args.test == args.enrol else read_embeddings(args.test)
        if enrol.dim != test.dim:
            raise EmbeddingError(f"enrolment dim {enrol.dim} != test dim {test.dim}")
        e_mat = unit_rows(enrol.matrix)
        t_mat = e_mat if test is enrol else unit_rows(test.matrix)
        return enrol.ids, test.ids, partial(gathered_dots, e_mat, t_mat)

    code, lines = run_pair_scoring("score_cosine", args.trials, args.scores, build,
                                   args.block_size, args.allow_missing)
    print("\n".join(lines), file=sys.stderr)
    return code


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
