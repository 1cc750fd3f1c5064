"""Print one checksum over a step's inputs (see ``Process_Data.signature``).

Usage:
    python -m Process_Data.bin.signature [--list] [--option TEXT] [--table SCP] [--stat PATH]
        [FILE-OR-DIR ...]

Plain paths are signed by content (folders: every non-hidden file under them), ``--table``
by content plus the size and mtime of every file it names (audio of wav.scp, archives of
feats.scp), ``--stat`` by size and mtime, ``--option`` as text. A missing path is signed as
absent. ``--list`` prints what is signed instead of the checksum.

Example:
    sig=$(python -m Process_Data.bin.signature --option "--min-frames 200" \\
          --table data/train/feats.scp data/train/utt2spk data/train/conf)
"""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    """Print the signature (or its lines with ``--list``); exit 1 on a bad option."""
    from Process_Data.signature import parse_args, signature, signature_lines

    argv = list(sys.argv[1:] if argv is None else argv)
    listing = "--list" in argv
    argv = [a for a in argv if a != "--list"]
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    try:
        files, tables, stats, options = parse_args(argv)
        if listing:
            print("\n".join(signature_lines(files, tables, stats, options)))
        else:
            print(signature(files, tables, stats, options))
    except (ValueError, OSError) as e:
        print(f"signature: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
