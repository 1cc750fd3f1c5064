"""Cosine scoring of a trial list: ``python -m TrainAndTest.bin.score_cosine``.

Usage:
    python -m TrainAndTest.bin.score_cosine [--allow-missing] data/test/trials \\
        exp/x/xvectors_test/xvector.scp exp/x/xvectors_test/xvector.scp exp/x/scores/cosine

Enrolment and test embeddings are a dir (its ``xvector.scp``), an ``.scp``, ``.ark`` or
``.npz``. Writes ``enrol test score`` lines in trial order, atomically. Trials naming an id
without an embedding are an error (count and examples) unless ``--allow-missing``.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, score, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.score_cosine")
    p.add_argument("trials")
    p.add_argument("enrol")
    p.add_argument("test")
    p.add_argument("scores")
    p.add_argument("--allow-missing", action="store_true")
    args = p.parse_args(argv)

    from TrainAndTest.backend.cosine import cosine_score_pairs
    from TrainAndTest.io.embeddings import EmbeddingError, read_embeddings, trial_rows
    from TrainAndTest.io.trials import TrialsError, read_trials, write_scores

    try:
        trials = read_trials(args.trials)
        enrol = read_embeddings(args.enrol)
        test = enrol if args.test == args.enrol else read_embeddings(args.test)
        if enrol.dim != test.dim:
            raise EmbeddingError(f"enrolment dim {enrol.dim} != test dim {test.dim}")
        e_idx, t_idx, kept = trial_rows(trials, enrol, test, args.allow_missing)
        scores = cosine_score_pairs(enrol.matrix, test.matrix, e_idx, t_idx)
        names_e = [x for x, k in zip(trials.enrol, kept) if k]
        names_t = [x for x, k in zip(trials.test, kept) if k]
        write_scores(args.scores, names_e, names_t, scores)
    except (TrialsError, EmbeddingError, ValueError, OSError) as e:
        print(f"score_cosine: ERROR: {e}", file=sys.stderr)
        return 1
    if not kept.all():
        print(f"score_cosine: WARNING: dropped {int((~kept).sum())} trials without "
              "embeddings (--allow-missing)", file=sys.stderr)
    print(f"score_cosine: scored {len(scores)} trials", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
