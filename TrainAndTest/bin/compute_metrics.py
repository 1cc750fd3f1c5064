"""EER, minDCF (and actDCF, Cllr) of a score file: ``python -m TrainAndTest.bin.compute_metrics``.

Usage:
    python -m TrainAndTest.bin.compute_metrics data/test/trials exp/x/scores/cosine \\
        [--det det.png] [--hist hist.png] [--thresholds] [--calibrated] \\
        [--results exp/x/RESULTS.md --system cosine] \\
        [--tsne tsne.png --embeddings exp/x/xvectors_test --utt2spk data/test/utt2spk] \\
        [--allow-missing]

Prints ``EER: x.xx%`` (with its threshold) and ``minDCF(p): x.xxxx`` for each p_target
(0.01, 0.001, 0.05 with C_miss = C_fa = 1); with ``--calibrated`` also ``actDCF(p)`` and
``Cllr``. Trials are Kaldi (``enrol test target|nontarget``) or VoxCeleb (``1|0 enrol
test``) lists; scores (``enrol test score``) are matched by the id pair.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, compute and print the metrics; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.compute_metrics")
    p.add_argument("trials")
    p.add_argument("scores")
    p.add_argument("--p-target", default="0.01,0.001,0.05", help="comma-separated priors")
    p.add_argument("--calibrated", action="store_true", help="scores are LLRs: actDCF, Cllr")
    p.add_argument("--thresholds", action="store_true", help="print EER/FAR 1%%/0.1%% table")
    p.add_argument("--det", default="", help="DET curve PNG")
    p.add_argument("--hist", default="", help="score histogram PNG")
    p.add_argument("--tsne", default="", help="t-SNE PNG (needs --embeddings --utt2spk)")
    p.add_argument("--embeddings", default="", help="embedding dir/scp/npz for --tsne")
    p.add_argument("--utt2spk", default="", help="utt2spk for --tsne colours")
    p.add_argument("--results", default="", help="RESULTS.md to add/replace a row in")
    p.add_argument("--system", default="", help="system name in RESULTS.md (default: scores)")
    p.add_argument("--allow-missing", action="store_true", help="drop trials without score")
    args = p.parse_args(argv)

    import numpy as np

    from TrainAndTest.io.trials import TrialsError, match_scores, read_scores, read_trials
    from TrainAndTest.metrics.error_rates import compute_metrics

    prog = "compute_metrics"
    try:
        p_targets = [float(x) for x in args.p_target.split(",") if x]
        trials = read_trials(args.trials)
        if not trials.has_labels:
            raise TrialsError(f"{args.trials}: trials have no target/nontarget labels")
        enrol, test, scores = read_scores(args.scores)
        values, kept = match_scores(trials, enrol, test, scores, args.allow_missing,
                                    args.scores)
        labels = trials.labels[kept].astype(np.int8)
        if not kept.all():
            print(f"{prog}: WARNING: dropped {int((~kept).sum())} of {len(kept)} trials "
                  "without a score (--allow-missing)", file=sys.stderr)
        metrics = compute_metrics(values, labels, p_targets, args.calibrated)
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
    if args.thresholds:
        from TrainAndTest.backend.thresholds import format_threshold_table, threshold_table

        print(format_threshold_table(threshold_table(values, labels)), end="")
    from TrainAndTest.metrics import plots

    if args.det:
        plots.plot_det(values, labels, args.det, p_target=p_targets[0],
                       title=Path(args.scores).name)
    if args.hist:
        plots.plot_score_histograms(values, labels, args.hist, title=Path(args.scores).name)
    if args.tsne:
        if not (args.embeddings and args.utt2spk):
            print(f"{prog}: ERROR: --tsne needs --embeddings and --utt2spk", file=sys.stderr)
            return 1
        from Process_Data.data_dir import read_kv
        from TrainAndTest.io.embeddings import read_embeddings

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
    sys.exit(main())
