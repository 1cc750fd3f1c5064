"""Per-speaker mean embeddings: ``python -m TrainAndTest.bin.speaker_mean``.

Usage:
    python -m TrainAndTest.bin.speaker_mean data/test/spk2utt exp/x/xvectors_test/xvector.scp \\
        exp/x/xvectors_test

Writes ``spk_xvector.{ark,scp}`` and ``num_utts.ark`` (text ``spk count``) into the output
dir, like Kaldi's ivector-mean.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, average, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.speaker_mean")
    p.add_argument("spk2utt")
    p.add_argument("xvector_scp")
    p.add_argument("out_dir")
    args = p.parse_args(argv)

    import kaldiio

    from Process_Data.data_dir import atomic_write, read_kv
    from TrainAndTest.embeddings import speaker_means

    spk2utt = read_kv(args.spk2utt, multi=True)
    embeddings = dict(kaldiio.load_scp(args.xvector_scp))
    means, counts = speaker_means(embeddings, spk2utt)
    if not means:
        print(f"speaker_mean: no speaker of {args.spk2utt} has an embedding", file=sys.stderr)
        return 1
    out = Path(args.out_dir)
    ark, scp = out / "spk_xvector.ark", out / "spk_xvector.scp"
    tmp_scp = out / ".spk_xvector.scp.tmp"
    with kaldiio.WriteHelper(f"ark,scp:{ark},{tmp_scp}") as writer:
        for spk in sorted(means):
            writer(spk, means[spk])
    tmp_scp.replace(scp)
    with atomic_write(out / "num_utts.ark") as f:
        for spk in sorted(counts):
            f.write(f"{spk} {counts[spk]}\n")
    print(f"speaker_mean: {len(means)} speakers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
