"""Calibrate scores to LLRs by logistic regression: ``python -m TrainAndTest.bin.calibrate``.

Usage:
    python -m TrainAndTest.bin.calibrate [--p-target 0.5] [--utt2dur data/dev/utt2dur] \\
        [--save calib.npz] data/dev/trials exp/x/scores/plda_dev \\
        exp/x/scores/plda_test exp/x/scores/plda_test_calibrated

Fits ``llr = a * score + b`` (plus quality terms: with ``--utt2dur``, the log durations of
the shorter and longer side, as in QMF) on the labelled development trials and scores,
then writes calibrated scores of another score file (``enrol test score``). The same
utt2dur must cover both lists' ids.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fit, apply, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.calibrate")
    p.add_argument("dev_trials")
    p.add_argument("dev_scores")
    p.add_argument("scores_in")
    p.add_argument("scores_out")
    p.add_argument("--p-target", type=float, default=0.5)
    p.add_argument("--utt2dur", default="", help="durations for quality measures")
    p.add_argument("--save", default="", help="write the calibration parameters (.npz)")
    p.add_argument("--allow-missing", action="store_true")
    args = p.parse_args(argv)

    import numpy as np

    from Process_Data.data_dir import DataDirError, read_kv
    from TrainAndTest.backend.calibration import LogisticCalibration, quality_features
    from TrainAndTest.io.trials import (
        TrialsError,
        match_scores,
        read_scores,
        read_trials,
        write_scores,
    )

    try:
        trials = read_trials(args.dev_trials)
        if not trials.has_labels:
            raise TrialsError(f"{args.dev_trials}: calibration needs labelled trials")
        values, kept = match_scores(trials, *read_scores(args.dev_scores),
                                    allow_missing=args.allow_missing,
                                    scores_path=args.dev_scores)
        dev_e = [x for x, k in zip(trials.enrol, kept) if k]
        dev_t = [x for x, k in zip(trials.test, kept) if k]
        enrol, test, raw = read_scores(args.scores_in)
        q_dev = q_eval = None
        if args.utt2dur:
            dur = {k: float(v) for k, v in read_kv(args.utt2dur).items()}

            def lookup(ids):
                missing = sorted({i for i in ids if i not in dur})
                if missing:
                    raise TrialsError(f"{len(missing)} ids have no duration in {args.utt2dur} "
                                      f"(e.g. {', '.join(missing[:5])})")
                return np.array([dur[i] for i in ids])

            q_dev = quality_features(lookup(dev_e), lookup(dev_t))
            q_eval = quality_features(lookup(enrol), lookup(test))
        cal = LogisticCalibration(args.p_target).fit(values, trials.labels[kept], q_dev)
        write_scores(args.scores_out, enrol, test, cal.transform(raw, q_eval))
        if args.save:
            np.savez(args.save, **cal.state())
    except (TrialsError, DataDirError, ValueError, OSError) as e:
        print(f"calibrate: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"calibrate: weights {np.round(cal.weights, 4).tolist()} bias {cal.bias:.4f}; "
          f"wrote {len(raw)} LLRs to {args.scores_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
