"""Diarization data dirs: ``python -m TrainAndTest.bin.make_diarization_data``.

Subcommands:

    rttm-folder     <name>.wav + <name>.rttm of a folder -> data dir (--part for diar_mini)
    conversations   synthetic conversations of a corpus's test speakers -> audio + data dir

Example:
    python -m TrainAndTest.bin.make_diarization_data rttm-folder --diar-mini-part dev \\
        ../shared/data/diar_mini data/diar_mini_dev
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse, prepare; 1 with a one-line error naming the file or option on bad input."""
    from TrainAndTest.diarization.conversations import ConversationOptions

    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.make_diarization_data")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("rttm-folder")
    r.add_argument("--diar-mini-part", choices=["dev", "test", "all"],
                   help="take diar_mini's fixed dev/test part (default: every .wav)")
    r.add_argument("root")
    r.add_argument("data_dir")
    c = sub.add_parser("conversations")
    c.add_argument("--num", type=int, default=20)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--part", default="test", help="meta.csv set of the speakers")
    for field in dataclasses.fields(ConversationOptions):
        c.add_argument("--" + field.name.replace("_", "-"), type=type(field.default),
                       default=field.default, help=field.metadata["help"])
    c.add_argument("root")
    c.add_argument("audio_dir")
    c.add_argument("data_dir")
    args = p.parse_args(argv)
    try:
        if args.command == "rttm-folder":
            from TrainAndTest.diarization.data_prep import prepare_diar_mini, prepare_rttm_folder

            if args.diar_mini_part:
                n = prepare_diar_mini(args.root, args.data_dir, args.diar_mini_part)
            else:
                n = prepare_rttm_folder(args.root, args.data_dir)
        else:
            from TrainAndTest.diarization.conversations import write_conversations

            opts = ConversationOptions(**{f.name: getattr(args, f.name)
                                          for f in dataclasses.fields(ConversationOptions)})
            n = len(write_conversations(args.root, args.data_dir, args.audio_dir, args.num,
                                        args.seed, opts, args.part))
    except (ValueError, OSError, RuntimeError) as e:
        print(f"make_diarization_data {args.command}: {e}", file=sys.stderr)
        return 1
    print(f"make_diarization_data: {n} recordings -> {args.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
