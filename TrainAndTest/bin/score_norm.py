"""Normalise trial scores with an impostor cohort: ``python -m TrainAndTest.bin.score_norm``.

Usage:
    python -m TrainAndTest.bin.score_norm [--method asnorm] [--top-k 300] \\
        [--plda exp/x/xvectors_train/plda.npz] [--allow-missing] data/test/trials \\
        exp/x/scores/cosine exp/x/xvectors_test/xvector.scp exp/x/xvectors_test/xvector.scp \\
        exp/x/xvectors_train/spk_xvector.scp exp/x/scores/cosine_asnorm

Methods: znorm, tnorm, snorm, asnorm (S-norm over the ``top_k`` closest cohort vectors).
Cohort scores use cosine similarity, or the PLDA back-end given with ``--plda`` (use the
scorer that produced the input scores).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, normalise, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.score_norm")
    p.add_argument("trials")
    p.add_argument("scores_in")
    p.add_argument("enrol")
    p.add_argument("test")
    p.add_argument("cohort")
    p.add_argument("scores_out")
    p.add_argument("--method", default="asnorm", choices=["znorm", "tnorm", "snorm", "asnorm"])
    p.add_argument("--top-k", type=int, default=300)
    p.add_argument("--plda", default="", help="back-end .npz for PLDA cohort scores")
    p.add_argument("--allow-missing", action="store_true")
    args = p.parse_args(argv)

    from TrainAndTest.backend.score_norm import cosine_matrix, normalize_trials
    from TrainAndTest.io.embeddings import EmbeddingError, read_embeddings, trial_rows
    from TrainAndTest.io.trials import (
        TrialsError,
        match_scores,
        read_scores,
        read_trials,
        write_scores,
    )

    try:
        trials = read_trials(args.trials)
        enrol = read_embeddings(args.enrol)
        test = enrol if args.test == args.enrol else read_embeddings(args.test)
        cohort = read_embeddings(args.cohort)
        e_idx, t_idx, kept = trial_rows(trials, enrol, test, args.allow_missing)
        en, te, raw = read_scores(args.scores_in)
        values, have = match_scores(trials, en, te, raw, args.allow_missing, args.scores_in)
        # Keep the trials with both embeddings and a score.
        both = kept & have
        e_idx = enrol.index([x for x, k in zip(trials.enrol, both) if k])
        t_idx = test.index([x for x, k in zip(trials.test, both) if k])
        values = values[both[have]]
        score_fn = cosine_matrix
        if args.plda:
            from TrainAndTest.backend.pipeline import PldaBackend

            score_fn = PldaBackend.load(args.plda).score_matrix
        out = normalize_trials(values, enrol.matrix, test.matrix, e_idx, t_idx, cohort.matrix,
                               args.method, args.top_k, score_fn)
        write_scores(args.scores_out, [x for x, k in zip(trials.enrol, both) if k],
                     [x for x, k in zip(trials.test, both) if k], out)
    except (TrialsError, EmbeddingError, ValueError, OSError) as e:
        print(f"score_norm: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"score_norm: {args.method} of {len(out)} trials with a cohort of "
          f"{len(cohort.ids)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
