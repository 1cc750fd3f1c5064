"""PLDA scoring of a trial list: ``python -m TrainAndTest.bin.score_plda``.

Usage:
    python -m TrainAndTest.bin.score_plda [--num-utts exp/x/xvectors_enrol/num_utts.ark] \\
        [--allow-missing] [--block-size 250000] exp/x/xvectors_train/plda.npz \\
        data/test/trials exp/x/xvectors_test/xvector.scp exp/x/xvectors_test/xvector.scp \\
        exp/x/scores/plda

Like Kaldi's ivector-plda-scoring: with ``--num-utts`` each enrolment vector is a mean of
that many utterances (Kaldi PLDA scoring uses it; ids absent from the file count as 1).
The list is scored and written a block of ``--block-size`` trials at a time (temporary
name, renamed when complete): memory is the embeddings plus one block.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, score, write; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.score_plda")
    p.add_argument("plda")
    p.add_argument("trials")
    p.add_argument("enrol")
    p.add_argument("test")
    p.add_argument("scores")
    p.add_argument("--num-utts", default="", help="enrolment 'id count' file")
    p.add_argument("--allow-missing", action="store_true")
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="trials scored and written at a time")
    args = p.parse_args(argv)

    import numpy as np

    from TrainAndTest.backend.pipeline import PldaBackend
    from TrainAndTest.backend.trial_scoring import run_pair_scoring
    from TrainAndTest.io.embeddings import read_embeddings, read_num_utts

    def build():
        backend = PldaBackend.load(args.plda)
        enrol = read_embeddings(args.enrol)
        test = enrol if args.test == args.enrol else read_embeddings(args.test)
        num_utts = np.ones(len(enrol.ids))
        if args.num_utts:
            counts = read_num_utts(args.num_utts)
            num_utts = np.array([counts.get(k, 1) for k in enrol.ids], dtype=np.float64)
        # Transforms and PLDA terms once per embedding; a trial is then one dot product.
        terms = backend.pair_terms(enrol.matrix, test.matrix, num_utts)
        return enrol.ids, test.ids, terms.score

    code, lines = run_pair_scoring("score_plda", args.trials, args.scores, build,
                                   args.block_size, args.allow_missing)
    print("\n".join(lines), file=sys.stderr)
    return code


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
