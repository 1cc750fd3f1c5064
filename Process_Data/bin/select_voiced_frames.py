"""Keep only the voiced frames of each feature matrix (Kaldi ``select-voiced-frames``).

Usage:
    python -m Process_Data.bin.select_voiced_frames [--compress=false]
        <feats-rspecifier> <vad-rspecifier> <feats-wspecifier>

An utterance without a VAD entry, with a VAD of another length, or with no voiced frame
is reported and skipped (as Kaldi does).

Example:
    python -m Process_Data.bin.select_voiced_frames scp:data/x/feats.scp \\
        scp:data/x/vad.scp ark,scp:exp/voiced.ark,exp/voiced.scp
"""

from __future__ import annotations

import sys
from typing import List, Optional

import kaldiio

from Process_Data.features.vad import select_voiced_frames
from Process_Data.kaldi_table import (
    TableWriter,
    parse_kaldi_args,
    pop_option,
    to_bool,
    warn,
)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    opts, pos = parse_kaldi_args(sys.argv[1:] if argv is None else argv)
    try:
        compress = to_bool(pop_option(opts, "compress", "false"), "compress")
        if opts:
            raise ValueError(f"unknown option {opts[0]}")
    except ValueError as e:
        print(f"ERROR (select_voiced_frames): {e}", file=sys.stderr)
        return 1
    if len(pos) != 3:
        print(__doc__, file=sys.stderr)
        return 1
    vads = kaldiio.load_scp(pos[1][4:]) if pos[1].startswith("scp:") else dict(
        kaldiio.ReadHelper(pos[1]))
    done = err = 0
    with TableWriter(pos[2], compress=compress) as writer:
        for utt, feats in kaldiio.ReadHelper(pos[0]):
            if utt not in vads:
                warn(f"utterance {utt}: no VAD entry; skipped")
                err += 1
                continue
            try:
                voiced = select_voiced_frames(feats, vads[utt])
            except ValueError as e:
                warn(f"utterance {utt}: {e}; skipped")
                err += 1
                continue
            if voiced.shape[0] == 0:
                warn(f"utterance {utt}: no voiced frames; skipped")
                err += 1
                continue
            writer(utt, voiced)
            done += 1
    print(f"LOG (select_voiced_frames): done {done} utterances, {err} skipped", file=sys.stderr)
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
