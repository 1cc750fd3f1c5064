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

One pass over the list and the input scores, a block of ``--block-size`` trials at a
time (read ahead in a background thread). The cohort statistics of an embedding are
computed the first time a trial uses it, for all the new embeddings of a block together
(a few vectors against the whole cohort at a time, the top-k selected exactly), so each
used embedding is scored against the cohort once and a cohort of 100k speaker means is
fine; each trial is then normalised with its two embeddings' statistics, and the block
is written (temporary name, renamed when complete). For asnorm with cosine scores on a
CPU with AMX, the top k are found by a bfloat16 screen with exact float32 rescoring of
its candidates (``--cohort-screen``, see ``TrainAndTest.backend.top_k_screen``).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import Future
from typing import Iterator, List, Optional, Tuple


def _with_rows(matched: Iterator, rows: Future) -> Iterator:
    """Each block of ``matched`` with its embedding rows, once ``rows`` (a future
    :class:`~TrainAndTest.io.id_index.EmbeddingRows`, or None: stop) is known."""
    for mb in matched:
        index = rows.result()
        if index is None:
            return
        yield mb, index.block(mb.trials)


def _normalise(args: argparse.Namespace, blocks: Iterator, rows: Future) -> Tuple[int, int]:
    """Load the embeddings, set ``rows``, normalise the trials of ``blocks`` (blocks of
    trials with their input scores and embedding rows) and write them; returns (trials
    written, cohort size)."""
    from TrainAndTest.backend.score_norm import CohortScorer, CohortStatsCache, cosine_matrix
    from TrainAndTest.backend.score_norm import normalize_scores as normalize
    from TrainAndTest.io.embeddings import read_embeddings
    from TrainAndTest.io.id_index import EmbeddingRows
    from TrainAndTest.io.score_writer import ScoreWriter

    enrol = read_embeddings(args.enrol)
    test = enrol if args.test == args.enrol else read_embeddings(args.test)
    cohort = read_embeddings(args.cohort)
    n_cohort = len(cohort.ids)
    score_fn = cosine_matrix
    if args.plda:
        from TrainAndTest.backend.pipeline import PldaBackend

        score_fn = PldaBackend.load(args.plda).score_matrix
    k = None
    if args.method == "asnorm":
        if args.top_k < 1:
            raise ValueError("asnorm needs --top-k >= 1")
        k = min(args.top_k, n_cohort)
    scorer = CohortScorer(cohort.matrix, score_fn, k, screen=args.cohort_screen)
    cohort.matrix = None  # the scorer holds what it needs (unit rows for cosine)
    # Each embedding's statistics are computed the first time a trial uses it, so one
    # pass over the list does, and no embedding is scored against the cohort twice.
    e_cache = CohortStatsCache(enrol.matrix, scorer) if args.method != "tnorm" else None
    t_cache = None
    if args.method != "znorm":
        t_cache = e_cache if (test is enrol and e_cache) else CohortStatsCache(
            test.matrix, scorer)
    # The caches hold the embeddings and the scorer, and drop them once complete.
    del scorer
    enrol.matrix = test.matrix = None
    index = EmbeddingRows(enrol.ids, test.ids, args.trials)
    rows.set_result(index)
    with ScoreWriter(args.scores_out) as out:
        for mb, (e_idx, t_idx, have_emb) in blocks:
            if index.missing_trials and not args.allow_missing:
                continue  # counted for the error below; nothing is written
            both = have_emb & mb.kept
            keep = mb.kept[have_emb]  # of the trials with embeddings, those with a score
            e_idx, t_idx = e_idx[keep], t_idx[keep]
            es = e_cache.lookup(e_idx) if e_cache else None
            ts = t_cache.lookup(t_idx) if t_cache else None
            normed = normalize(mb.scores[both], args.method, es, ts)
            out.write(mb.trials.enrol.filter(both), mb.trials.test.filter(both), normed)
        index.check(args.allow_missing)
    return out.count, n_cohort


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
    p.add_argument("--cohort-screen", default="auto", choices=["auto", "on", "off"],
                   help="asnorm with cosine scores: find each embedding's top-k cohort scores "
                        "with a bfloat16 screen and exact float32 rescoring (the same top k); "
                        "auto: where the CPU has AMX and the cohort is large")
    args = p.parse_args(argv)

    from TrainAndTest.io.embeddings import EmbeddingError
    from TrainAndTest.io.prefetch import prefetched
    from TrainAndTest.io.score_match import MatchReport, iter_matched_scores, warn_extra
    from TrainAndTest.io.trials import TrialsError

    report = MatchReport()
    try:
        # The list and the scores are read from the start, a block ahead in a background
        # thread, while the embeddings load and the cohort is prepared; the thread maps
        # each block's ids to embedding rows once the embeddings are known.
        rows: Future = Future()
        blocks = prefetched(_with_rows(iter_matched_scores(
            args.trials, args.scores_in, args.block_size, args.allow_missing, report), rows))
        try:
            count, n_cohort = _normalise(args, blocks, rows)
        finally:
            if not rows.done():
                rows.set_result(None)  # loading failed: the reader stops
            blocks.close()
    except (TrialsError, EmbeddingError, ValueError, OSError) as e:
        print(f"score_norm: ERROR: {e}", file=sys.stderr)
        return 1
    extra = warn_extra(report, args.scores_in)
    if extra:
        print(f"score_norm: WARNING: {extra}", file=sys.stderr)
    print(f"score_norm: {args.method} of {count} trials with a cohort of "
          f"{n_cohort}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
