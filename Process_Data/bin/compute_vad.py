"""Energy VAD of feature matrices (Kaldi ``compute-vad``): one 0/1 vector per utterance.

Usage:
    python -m Process_Data.bin.compute_vad [--config=conf/vad.conf] [--vad-energy-threshold=5.5]
        [--vad-energy-mean-scale=0.5] [--vad-frames-context=2]
        [--vad-proportion-threshold=0.12] <feats-rspecifier> <vad-wspecifier>

Column 0 of the features is the log energy (C0 of MFCCs, the energy of fbank with
--use-energy, bin 0 of spectrograms).

Example:
    python -m Process_Data.bin.compute_vad --config=conf/vad.conf scp:data/x/feats.scp \\
        ark,scp:mfcc/vad_x.1.ark,mfcc/vad_x.1.scp
"""

from __future__ import annotations

import sys
from typing import List, Optional

import kaldiio
import numpy as np

from Process_Data.features.options import OptionError, fill_options
from Process_Data.features.vad import VadOptions, compute_vad
from Process_Data.kaldi_table import TableWriter, parse_kaldi_args, pop_option, warn


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    opts, pos = parse_kaldi_args(sys.argv[1:] if argv is None else argv)
    if len(pos) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        config = pop_option(opts, "config")
        vad_opts = fill_options(VadOptions(), opts, config)
        vad_opts.check()
    except (OptionError, OSError) as e:
        print(f"ERROR (compute_vad): {e}", file=sys.stderr)
        return 1
    done = unvoiced = 0
    voiced_total = frames_total = 0
    with TableWriter(pos[1]) as writer:
        for utt, feats in kaldiio.ReadHelper(pos[0]):
            if feats.shape[0] == 0:
                warn(f"utterance {utt}: empty features; skipped")
                continue
            vad = compute_vad(feats, vad_opts)
            writer(utt, vad.astype(np.float32))
            done += 1
            voiced_total += int(vad.sum())
            frames_total += vad.shape[0]
            if vad.sum() == 0:
                unvoiced += 1
    pct = 100.0 * voiced_total / max(frames_total, 1)
    print(f"LOG (compute_vad): done {done} utterances; {pct:.1f}% of frames voiced; "
          f"{unvoiced} utterances with no voiced frame", file=sys.stderr)
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
