"""Hold out training speakers for calibration (see ``Process_Data.corpora.calibration_split``).

Example:
    python -m Process_Data.bin.make_calibration_split --fraction 0.1 --seed 0 \\
        data/train data/train_calib data/train_backend
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv``, write both data dirs and the trials; returns the exit status."""
    from Process_Data.corpora.calibration_split import make_calibration_split
    from Process_Data.data_dir import DataDirError

    p = argparse.ArgumentParser(prog="make_calibration_split", description=__doc__.splitlines()[0])
    p.add_argument("train", help="training data dir (utt2spk; utt2domain when it has domains)")
    p.add_argument("calib", help="output: held-out speakers, with trials")
    p.add_argument("rest", help="output: the other speakers (back-end statistics)")
    p.add_argument("--fraction", type=float, default=0.1, help="held-out share per domain")
    p.add_argument("--seed", type=int, default=0, help="random seed (speakers and trials)")
    p.add_argument("--num-target", type=int, default=5, help="targets per enrolment utterance")
    p.add_argument("--num-nontarget", type=int, default=5, help="non-targets per enrolment utterance")
    p.add_argument("--enrol-per-speaker", type=int, default=10,
                   help="enrolment utterances per held-out speaker (0: all)")
    a = p.parse_args(argv)
    try:
        split = make_calibration_split(a.train, a.calib, a.rest, a.fraction, a.seed,
                                       a.num_target, a.num_nontarget, a.enrol_per_speaker)
    except (DataDirError, ValueError, OSError) as e:
        print(f"{p.prog}: error: {e}", file=sys.stderr)
        return 1
    print(f"{p.prog}: {len(split.heldout_speakers)} speakers held out into {a.calib} "
          f"({split.num_target} target / {split.num_nontarget} non-target trials), "
          f"{split.rest_speakers} left in {a.rest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
