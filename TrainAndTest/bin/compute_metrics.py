"""EER, minDCF (and actDCF, Cllr) of a score file: ``python -m TrainAndTest.bin.compute_metrics``.

Usage:
    python -m TrainAndTest.bin.compute_metrics data/test/trials exp/x/scores/cosine \\
        [--det det.png] [--hist hist.png] [--thresholds] [--calibrated] [--min-cllr] \\
        [--results exp/x/RESULTS.md --system cosine] \\
        [--tsne tsne.png --embeddings exp/x/xvectors_test --utt2spk data/test/utt2spk] \\
        [--allow-missing] [--block-size 250000] [--run-size 4000000] [--tmp-dir /tmp]

Prints ``EER: x.xx%`` (with its threshold) and ``minDCF(p): x.xxxx`` for each p_target
(0.01, 0.001, 0.05 with C_miss = C_fa = 1); with ``--calibrated`` also ``actDCF(p)`` and
``Cllr``; with ``--min-cllr`` ``min-Cllr`` (Cllr after the best monotone calibration, PAV).
Trials are Kaldi (``enrol test target|nontarget``) or VoxCeleb (``1|0 enrol
test``) lists; scores (``enrol test score``) are matched by the id pair.

Memory is bounded by ``--block-size`` (trials read at a time) and ``--run-size`` (trials
sorted at a time; longer lists are sorted in runs spilled to ``--tmp-dir``, 9 bytes a
trial, and merged), not by the length of the list; the EER and minDCF are exact either
way. ``--det``, ``--hist`` and ``--min-cllr`` use every trial and so hold the scores in
memory (9 bytes a trial).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

FARS = (0.01, 0.001)


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, compute and print the metrics; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE
    from TrainAndTest.metrics.external import DEFAULT_RUN_SIZE

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.compute_metrics")
    p.add_argument("trials")
    p.add_argument("scores")
    p.add_argument("--p-target", default="0.01,0.001,0.05", help="comma-separated priors")
    p.add_argument("--calibrated", action="store_true", help="scores are LLRs: actDCF, Cllr")
    p.add_argument("--min-cllr", action="store_true", help="min-Cllr (PAV; scores in memory)")
    p.add_argument("--thresholds", action="store_true", help="print EER/FAR 1%%/0.1%% table")
    p.add_argument("--det", default="", help="DET curve PNG")
    p.add_argument("--hist", default="", help="score histogram PNG")
    p.add_argument("--tsne", default="", help="t-SNE PNG (needs --embeddings --utt2spk)")
    p.add_argument("--embeddings", default="", help="embedding dir/scp/npz for --tsne")
    p.add_argument("--utt2spk", default="", help="utt2spk for --tsne colours")
    p.add_argument("--results", default="", help="RESULTS.md to add/replace a row in")
    p.add_argument("--system", default="", help="system name in RESULTS.md (default: scores)")
    p.add_argument("--allow-missing", action="store_true", help="drop trials without score")
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="trials read at a time")
    p.add_argument("--run-size", type=int, default=DEFAULT_RUN_SIZE,
                   help="trials sorted in memory at a time")
    p.add_argument("--tmp-dir", default=None, help="where sorted runs go (default $TMPDIR)")
    args = p.parse_args(argv)

    import numpy as np

    from TrainAndTest.io.trial_stream import MatchReport, iter_matched_scores, warn_extra
    from TrainAndTest.io.trials import TrialsError
    from TrainAndTest.metrics.external import ExternalDet

    prog = "compute_metrics"
    keep_all = bool(args.det or args.hist or args.min_cllr)
    kept_scores: List[np.ndarray] = []
    kept_labels: List[np.ndarray] = []
    try:
        p_targets = [float(x) for x in args.p_target.split(",") if x]
        det = ExternalDet(args.run_size, args.tmp_dir, args.calibrated, p_targets)
        report = MatchReport()
        for block in iter_matched_scores(args.trials, args.scores, args.block_size,
                                         args.allow_missing, report):
            labels = block.trials.labels
            if np.any(labels < 0):
                raise TrialsError(f"{args.trials}: trials have no target/nontarget labels")
            values, labels = block.scores[block.kept], labels[block.kept]
            det.add(values, labels)
            if keep_all:
                kept_scores.append(values)
                kept_labels.append(labels)
        if report.missing:
            print(f"{prog}: WARNING: dropped {report.missing} of {report.n_trials} trials "
                  "without a score (--allow-missing)", file=sys.stderr)
        extra = warn_extra(report, args.scores)
        if extra:
            print(f"{prog}: WARNING: {extra}", file=sys.stderr)
        metrics = det.metrics(p_targets, FARS if args.thresholds else ())
    except (TrialsError, ValueError, OSError) as e:
        print(f"{prog}: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"EER: {100 * metrics['eer']:.2f}% (threshold {metrics['eer_threshold']:.6g}, "
          f"{metrics['n_target']} target / {metrics['n_nontarget']} non-target trials)")
    for pt in p_targets:
        print(f"minDCF({pt:g}): {metrics[f'min_dcf@{pt:g}']:.4f}")
    if args.calibrated:
        for pt in p_targets:
            print(f"actDCF({pt:g}): {metrics[f'act_dcf@{pt:g}']:.4f}")
        print(f"Cllr: {metrics['cllr']:.4f}")
    if keep_all:
        values, labels = np.concatenate(kept_scores), np.concatenate(kept_labels)
    if args.min_cllr:
        from TrainAndTest.backend.calibration import min_cllr

        metrics["min_cllr"] = min_cllr(values, labels)
        print(f"min-Cllr: {metrics['min_cllr']:.4f}")
    if args.thresholds:
        from TrainAndTest.backend.thresholds import (
            format_threshold_table,
            threshold_rows_from_metrics,
        )

        print(format_threshold_table(threshold_rows_from_metrics(metrics, FARS)), end="")
    if args.det or args.hist:
        from TrainAndTest.metrics import plots  # matplotlib + scipy.stats: seconds to import

        if args.det:
            plots.plot_det(values, labels, args.det, p_target=p_targets[0],
                           title=Path(args.scores).name)
        if args.hist:
            plots.plot_score_histograms(values, labels, args.hist,
                                        title=Path(args.scores).name)
    if args.tsne:
        if not (args.embeddings and args.utt2spk):
            print(f"{prog}: ERROR: --tsne needs --embeddings and --utt2spk", file=sys.stderr)
            return 1
        from Process_Data.data_dir import read_kv
        from TrainAndTest.io.embeddings import read_embeddings
        from TrainAndTest.metrics import plots

        emb = read_embeddings(args.embeddings)
        utt2spk = read_kv(args.utt2spk)
        keep = [i for i, u in enumerate(emb.ids) if u in utt2spk]
        if not keep:
            print(f"{prog}: ERROR: no embedding id is in {args.utt2spk}", file=sys.stderr)
            return 1
        plots.plot_tsne(emb.matrix[keep], [utt2spk[emb.ids[i]] for i in keep], args.tsne)
    if args.results:
        from TrainAndTest.metrics.results import format_row, update_results

        row = {"system": args.system or Path(args.scores).name,
               "trials": Path(args.trials).parent.name + "/" + Path(args.trials).name}
        row.update(format_row(metrics, p_targets))
        update_results(args.results, row)
    return 0


if __name__ == "__main__":
    from TrainAndTest.bin.process_exit import run_and_exit

    run_and_exit(main)  # no C++ teardown after Arrow work: see process_exit
