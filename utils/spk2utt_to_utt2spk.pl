#!/usr/bin/env python3
"""spk2utt_to_utt2spk.pl [<spk2utt>...] > utt2spk

Kaldi's spk2utt_to_utt2spk.pl: read `spk utt1 utt2 ...` lines (files or stdin) and print one
`utt spk` line per utterance, in input order.
  e.g.: utils/spk2utt_to_utt2spk.pl data/train/spk2utt > data/train/utt2spk
Runs on a bare system python3 (standard library only).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from Process_Data.data_dir import DataDirError  # noqa: E402
from Process_Data.data_ops.lines import spk2utt_lines_to_utt2spk  # noqa: E402


def main(argv):
    """Convert the named files (or stdin); returns the exit status."""
    if any(a.startswith("-") and a != "-" for a in argv):
        print(__doc__, file=sys.stderr)
        return 1
    try:
        for path in argv or ["-"]:
            sys.stdout.write("".join(line + "\n" for line in spk2utt_lines_to_utt2spk(path)))
    except DataDirError as e:
        print(f"spk2utt_to_utt2spk.pl: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
