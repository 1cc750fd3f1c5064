#!/usr/bin/env python3
"""filter_scp.pl [--exclude] [-f <field>] <idlist> [<in.scp>] > out.scp

Kaldi's filter_scp.pl: print the lines of <in.scp> (default stdin) whose <field>-th field
(1-based, default 1; negative counts from the end) is the first field of some line of
<idlist>; with --exclude print the others. Order of <in.scp> is kept.
  e.g.: utils/filter_scp.pl data/train/utt2spk data/all/wav.scp > data/train/wav.scp
Runs on a bare system python3 (standard library only).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from Process_Data.data_dir import DataDirError  # noqa: E402
from Process_Data.data_ops.lines import filter_scp  # noqa: E402


def main(argv):
    """Parse Kaldi-style arguments and filter; returns the exit status."""
    exclude, field = False, 1
    while argv and argv[0].startswith("-") and argv[0] != "-":
        if argv[0] == "--exclude":
            exclude, argv = True, argv[1:]
        elif argv[0] == "-f" and len(argv) > 1:
            try:
                field = int(argv[1])
            except ValueError:
                print(f"filter_scp.pl: -f needs an integer, got '{argv[1]}'", file=sys.stderr)
                return 1
            argv = argv[2:]
        else:
            print(f"filter_scp.pl: unknown option {argv[0]}\n{__doc__}", file=sys.stderr)
            return 1
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 1
    try:
        filter_scp(argv[0], argv[1] if len(argv) == 2 else "-", sys.stdout, field, exclude)
    except DataDirError as e:
        print(f"filter_scp.pl: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
