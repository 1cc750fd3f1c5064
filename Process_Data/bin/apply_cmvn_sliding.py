"""Sliding-window CMVN of feature matrices (Kaldi ``apply-cmvn-sliding``).

Usage:
    python -m Process_Data.bin.apply_cmvn_sliding [--cmn-window=300] [--center=true]
        [--norm-vars=false] [--min-cmn-window=100] [--compress=false]
        <feats-rspecifier> <feats-wspecifier>

Example:
    python -m Process_Data.bin.apply_cmvn_sliding --norm-vars=false --center=true \\
        --cmn-window=300 scp:data/x/feats.scp ark,scp:exp/cmvn.ark,exp/cmvn.scp
"""

from __future__ import annotations

import sys
from typing import List, Optional

import kaldiio

from Process_Data.features.cmvn import SlidingCmvnOptions, sliding_cmvn
from Process_Data.features.options import OptionError, fill_options
from Process_Data.kaldi_table import TableWriter, parse_kaldi_args, pop_option, to_bool


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    opts, pos = parse_kaldi_args(sys.argv[1:] if argv is None else argv)
    if len(pos) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        compress = to_bool(pop_option(opts, "compress", "false"), "compress")
        config = pop_option(opts, "config")
        cmvn_opts = fill_options(SlidingCmvnOptions(), opts, config)
        cmvn_opts.check()
    except (OptionError, ValueError, OSError) as e:
        print(f"ERROR (apply_cmvn_sliding): {e}", file=sys.stderr)
        return 1
    done = 0
    with TableWriter(pos[1], compress=compress) as writer:
        for utt, feats in kaldiio.ReadHelper(pos[0]):
            writer(utt, sliding_cmvn(feats, cmvn_opts))
            done += 1
    print(f"LOG (apply_cmvn_sliding): applied sliding CMVN to {done} utterances",
          file=sys.stderr)
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
