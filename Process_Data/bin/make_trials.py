"""Draw Vox1-O style trials from a data dir (see ``Process_Data.corpora.trials``).

Example:
    python -m Process_Data.bin.make_trials --num-target 5 --num-nontarget 5 data/test data/test/trials
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Parse ``argv`` and write the trials file; returns the exit status."""
    from Process_Data.corpora.common import CorpusError
    from Process_Data.corpora.trials import make_trials, write_trials
    from Process_Data.data_dir import DataDirError, read_kv

    p = argparse.ArgumentParser(prog="make_trials", description=__doc__.splitlines()[0])
    p.add_argument("data_dir", help="data dir (utt2spk, and spk2gender for --same-gender)")
    p.add_argument("trials", help="output trials file (Kaldi format)")
    p.add_argument("--num-target", type=int, default=5, help="targets per utterance")
    p.add_argument("--num-nontarget", type=int, default=5, help="non-targets per utterance")
    p.add_argument("--same-gender", action="store_true", help="same-gender non-targets")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--format", default="kaldi", choices=("kaldi", "vox"), help="output format")
    a = p.parse_args(argv)
    try:
        utt2spk = read_kv(f"{a.data_dir}/utt2spk")
        spk2gender = read_kv(f"{a.data_dir}/spk2gender") if a.same_gender else None
        trials = make_trials(utt2spk, a.num_target, a.num_nontarget, seed=a.seed,
                             spk2gender=spk2gender, same_gender=a.same_gender)  # fmt: skip
        n = write_trials(a.trials, trials, a.format)
    except (CorpusError, DataDirError, ValueError, OSError) as e:
        print(f"{p.prog}: error: {e}", file=sys.stderr)
        return 1
    n_tgt = sum(t.is_target for t in trials)
    print(f"{a.trials}: {n} trials ({n_tgt} target, {n - n_tgt} non-target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
