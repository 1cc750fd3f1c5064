#!/usr/bin/env python3
"""utt2spk_to_spk2utt.pl [<utt2spk>...] > spk2utt

Kaldi's utt2spk_to_spk2utt.pl: read `utt spk` lines (files or stdin) and print
`spk utt1 utt2 ...`, speakers and utterances in input order.
  e.g.: utils/utt2spk_to_spk2utt.pl data/train/utt2spk > data/train/spk2utt
Runs on a bare system python3 (standard library only).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from Process_Data.data_dir import DataDirError  # noqa: E402
from Process_Data.data_ops.lines import utt2spk_lines_to_spk2utt  # noqa: E402


def main(argv):
    """Convert the named files (or stdin); returns the exit status."""
    if any(a.startswith("-") and a != "-" for a in argv):
        print(__doc__, file=sys.stderr)
        return 1
    try:
        lines = []
        for path in argv or ["-"]:
            lines.extend(utt2spk_lines_to_spk2utt(path))
    except DataDirError as e:
        print(f"utt2spk_to_spk2utt.pl: {e}", file=sys.stderr)
        return 1
    if len(argv) > 1:  # the same speaker may appear in several files: merge in order
        merged = {}
        for line in lines:
            spk, utts = line.split(None, 1)
            merged.setdefault(spk, []).append(utts)
        lines = [f"{spk} {' '.join(utts)}" for spk, utts in merged.items()]
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
