"""Normalise trial scores with an impostor cohort: ``python -m TrainAndTest.bin.score_norm``.

Usage:
    python -m TrainAndTest.bin.score_norm [--method asnorm] [--top-k 300] \\
        [--plda exp/x/xvectors_train/plda.npz] [--allow-missing] [--block-size 250000] \\
        data/test/trials exp/x/scores/cosine exp/x/xvectors_test/xvector.scp \\
        exp/x/xvectors_test/xvector.scp exp/x/xvectors_train/spk_xvector.scp \\
        exp/x/scores/cosine_asnorm

Methods: znorm, tnorm, snorm, asnorm (S-norm over the ``top_k`` closest cohort vectors).
Cohort scores use cosine similarity, or the PLDA back-end given with ``--plda`` (use the
scorer that produced the input scores).

Two passes over the list, each a block of ``--block-size`` trials at a time: the first
finds the embeddings the trials use, whose cohort statistics are then computed in blocks
of vectors and cohort vectors (top-k kept as it goes, so a cohort of 100k speaker means
is fine); the second reads the input scores alongside the list and writes normalised
scores block by block (temporary name, renamed when complete).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, normalise, write; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE

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
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="trials read and written at a time")
    args = p.parse_args(argv)

    import numpy as np

    from TrainAndTest.backend.score_norm import (
        cohort_stats_of_rows,
        cosine_matrix,
        normalize_scores,
    )
    from TrainAndTest.io.embeddings import EmbeddingError, read_embeddings
    from TrainAndTest.io.trial_stream import (
        EmbeddingRows,
        MatchReport,
        ScoreWriter,
        iter_matched_scores,
        iter_trial_blocks,
        warn_extra,
    )
    from TrainAndTest.io.trials import TrialsError

    try:
        enrol = read_embeddings(args.enrol)
        test = enrol if args.test == args.enrol else read_embeddings(args.test)
        cohort = read_embeddings(args.cohort)
        score_fn = cosine_matrix
        if args.plda:
            from TrainAndTest.backend.pipeline import PldaBackend

            score_fn = PldaBackend.load(args.plda).score_matrix
        k = None
        if args.method == "asnorm":
            if args.top_k < 1:
                raise ValueError("asnorm needs --top-k >= 1")
            k = min(args.top_k, len(cohort.ids))
        need_e, need_t = args.method != "tnorm", args.method != "znorm"
        # Pass 1: which embeddings do the trials use?
        rows = EmbeddingRows(enrol.ids, test.ids, args.trials)
        used_e = np.zeros(len(enrol.ids), dtype=bool)
        used_t = np.zeros(len(test.ids), dtype=bool)
        for tb in iter_trial_blocks(args.trials, args.block_size):
            e_idx, t_idx, _ = rows.block(tb)
            used_e[e_idx] = True
            used_t[t_idx] = True
        rows.check(args.allow_missing)
        e_stats = t_stats = None
        if test is enrol and need_e and need_t:
            e_stats = t_stats = cohort_stats_of_rows(enrol.matrix, used_e | used_t,
                                                     cohort.matrix, score_fn, k)
        else:
            if need_e:
                e_stats = cohort_stats_of_rows(enrol.matrix, used_e, cohort.matrix,
                                               score_fn, k)
            if need_t:
                t_stats = cohort_stats_of_rows(test.matrix, used_t, cohort.matrix,
                                               score_fn, k)
        # Pass 2: the input scores alongside the list, normalised block by block.
        report = MatchReport()
        rows2 = EmbeddingRows(enrol.ids, test.ids, args.trials)
        with ScoreWriter(args.scores_out) as out:
            for mb in iter_matched_scores(args.trials, args.scores_in, args.block_size,
                                          args.allow_missing, report):
                e_idx, t_idx, have_emb = rows2.block(mb.trials)
                both = have_emb & mb.kept
                keep = mb.kept[have_emb]  # of the trials with embeddings, those with a score
                e_idx, t_idx = e_idx[keep], t_idx[keep]
                values = mb.scores[both]
                es = (e_stats[0][e_idx], e_stats[1][e_idx]) if need_e else None
                ts = (t_stats[0][t_idx], t_stats[1][t_idx]) if need_t else None
                normed = normalize_scores(values, args.method, es, ts)
                out.write(mb.trials.enrol.filter(both), mb.trials.test.filter(both), normed)
    except (TrialsError, EmbeddingError, ValueError, OSError) as e:
        print(f"score_norm: ERROR: {e}", file=sys.stderr)
        return 1
    extra = warn_extra(report, args.scores_in)
    if extra:
        print(f"score_norm: WARNING: {extra}", file=sys.stderr)
    print(f"score_norm: {args.method} of {out.count} trials with a cohort of "
          f"{len(cohort.ids)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
