"""A copy of a data dir heard through a channel (same ids and trial lists), for evaluation.

Example:
    python -m Process_Data.bin.channel_data_dir --channel telephone-mulaw \\
        data/minivox_test data/minivox_test_tel

See ``Process_Data.augment.offline.channel_data_dir``.
"""

from __future__ import annotations

import argparse
import sys


def arg_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    from Process_Data.augment.descriptor import CHANNELS

    p = argparse.ArgumentParser(prog="python -m Process_Data.bin.channel_data_dir",
                                description=__doc__.split("\n")[0])
    p.add_argument("--channel", required=True, choices=CHANNELS,
                   help="telephone (8 kHz round trip), telephone-mulaw (with G.711), device")
    p.add_argument("--seed", type=int, default=0, help="seeds each recording's randomness")
    p.add_argument("src", help="source data dir")
    p.add_argument("dest", help="output data dir (replaced atomically)")
    return p


def main(argv=None) -> int:
    """Write the channel copy; 1 with a one-line error on bad input."""
    from Process_Data.augment.base import AugmentationError
    from Process_Data.augment.offline import channel_data_dir
    from Process_Data.data_dir import DataDirError

    a = arg_parser().parse_args(argv)
    try:
        out = channel_data_dir(a.src, a.dest, a.channel, a.seed)
    except (AugmentationError, DataDirError) as e:
        print(f"channel_data_dir: {e}", file=sys.stderr)
        return 1
    print(f"channel_data_dir: {a.src} -> {a.dest} ({a.channel}, {len(out.utt2spk)} utterances)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
