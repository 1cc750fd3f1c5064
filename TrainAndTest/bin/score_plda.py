"""PLDA scoring of a trial list: ``python -m TrainAndTest.bin.score_plda``.

Usage:
    python -m TrainAndTest.bin.score_plda [--num-utts exp/x/xvectors_enrol/num_utts.ark] \\
        [--allow-missing] exp/x/xvectors_train/plda.npz data/test/trials \\
        exp/x/xvectors_test/xvector.scp exp/x/xvectors_test/xvector.scp exp/x/scores/plda

Like Kaldi's ivector-plda-scoring: with ``--num-utts`` each enrolment vector is a mean of
that many utterances (Kaldi PLDA scoring uses it; ids absent from the file count as 1).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, score, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.score_plda")
    p.add_argument("plda")
    p.add_argument("trials")
    p.add_argument("enrol")
    p.add_argument("test")
    p.add_argument("scores")
    p.add_argument("--num-utts", default="", help="enrolment 'id count' file")
    p.add_argument("--allow-missing", action="store_true")
    args = p.parse_args(argv)

    import numpy as np

    from TrainAndTest.backend.pipeline import PldaBackend
    from TrainAndTest.io.embeddings import (
        EmbeddingError,
        read_embeddings,
        read_num_utts,
        trial_rows,
    )
    from TrainAndTest.io.trials import TrialsError, read_trials, write_scores

    try:
        backend = PldaBackend.load(args.plda)
        trials = read_trials(args.trials)
        enrol = read_embeddings(args.enrol)
        test = enrol if args.test == args.enrol else read_embeddings(args.test)
        e_idx, t_idx, kept = trial_rows(trials, enrol, test, args.allow_missing)
        num_utts = 1.0
        if args.num_utts:
            counts = read_num_utts(args.num_utts)
            num_utts = np.array([counts.get(k, 1) for k in enrol.ids], dtype=np.float64)
        test_mat = enrol.matrix if test is enrol else test.matrix
        scores = backend.score_trials(enrol.matrix, test_mat, e_idx, t_idx, num_utts)
        write_scores(args.scores, [x for x, k in zip(trials.enrol, kept) if k],
                     [x for x, k in zip(trials.test, kept) if k], scores)
    except (TrialsError, EmbeddingError, ValueError, OSError, KeyError) as e:
        print(f"score_plda: ERROR: {e}", file=sys.stderr)
        return 1
    if not kept.all():
        print(f"score_plda: WARNING: dropped {int((~kept).sum())} trials without embeddings "
              "(--allow-missing)", file=sys.stderr)
    print(f"score_plda: scored {len(scores)} trials", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
