"""Calibrate scores to LLRs by logistic regression: ``python -m TrainAndTest.bin.calibrate``.

Usage:
    python -m TrainAndTest.bin.calibrate [--p-target 0.5] [--utt2dur data/dev/utt2dur] \\
        [--save calib.npz] [--block-size 250000] data/dev/trials exp/x/scores/plda_dev \\
        exp/x/scores/plda_test exp/x/scores/plda_test_calibrated

Fits ``llr = a * score + b`` (plus quality terms: with ``--utt2dur``, the log durations of
the shorter and longer side, as in QMF) on the labelled development trials and scores,
then writes calibrated scores of another score file (``enrol test score``). The same
utt2dur must cover both lists' ids.

The fit holds the development scores and labels (9 bytes a trial, 16 more with
``--utt2dur``), read in blocks without their ids; the file to calibrate is read,
transformed and written a block of ``--block-size`` lines at a time (temporary name,
renamed when complete), so its length does not matter.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fit, apply, write; returns the exit code."""
    from TrainAndTest.io.trial_stream import DEFAULT_BLOCK_SIZE

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.calibrate")
    p.add_argument("dev_trials")
    p.add_argument("dev_scores")
    p.add_argument("scores_in")
    p.add_argument("scores_out")
    p.add_argument("--p-target", type=float, default=0.5)
    p.add_argument("--utt2dur", default="", help="durations for quality measures")
    p.add_argument("--save", default="", help="write the calibration parameters (.npz)")
    p.add_argument("--allow-missing", action="store_true")
    p.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help="lines read and written at a time")
    args = p.parse_args(argv)

    import numpy as np
    import pyarrow as pa

    from Process_Data.data_dir import DataDirError, read_kv
    from TrainAndTest.backend.calibration import LogisticCalibration, quality_features
    from TrainAndTest.io.trial_stream import (
        IdVocabulary,
        ScoreWriter,
        id_rows,
        iter_matched_scores,
        iter_score_blocks,
    )
    from TrainAndTest.io.trials import TrialsError

    try:
        dur_ids = durations = None
        if args.utt2dur:
            table = read_kv(args.utt2dur)
            dur_ids = IdVocabulary(list(table))
            durations = np.array([float(v) for v in table.values()])

        def quality(enrol, test):
            """QMF duration features of a block, or None without --utt2dur."""
            if durations is None:
                return None
            sides = []
            for col in (enrol, test):
                rows = id_rows(col, dur_ids)
                if np.any(rows < 0):
                    bad = pa.array(np.flatnonzero(rows < 0))
                    missing = sorted(set(col.take(bad).to_pylist()))
                    raise TrialsError(f"{len(missing)} ids have no duration in "
                                      f"{args.utt2dur} (e.g. {', '.join(missing[:5])})")
                sides.append(durations[rows])
            return quality_features(*sides)

        values, labels, q_dev = [], [], []
        for mb in iter_matched_scores(args.dev_trials, args.dev_scores, args.block_size,
                                      args.allow_missing):
            if np.any(mb.trials.labels < 0):
                raise TrialsError(f"{args.dev_trials}: calibration needs labelled trials")
            values.append(mb.scores[mb.kept])
            labels.append(mb.trials.labels[mb.kept])
            q = quality(mb.trials.enrol.filter(mb.kept), mb.trials.test.filter(mb.kept))
            if q is not None:
                q_dev.append(q)
        cal = LogisticCalibration(args.p_target).fit(
            np.concatenate(values), np.concatenate(labels),
            np.concatenate(q_dev) if q_dev else None)
        del values, labels, q_dev
        with ScoreWriter(args.scores_out) as out:
            for sb in iter_score_blocks(args.scores_in, args.block_size):
                out.write(sb.enrol, sb.test,
                          cal.transform(sb.scores, quality(sb.enrol, sb.test)))
        if args.save:
            np.savez(args.save, **cal.state())
    except (TrialsError, DataDirError, ValueError, OSError) as e:
        print(f"calibrate: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"calibrate: weights {np.round(cal.weights, 4).tolist()} bias {cal.bias:.4f}; "
          f"wrote {out.count} LLRs to {args.scores_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
