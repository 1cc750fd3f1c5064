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

    import numpy as np

    from Process_Data.data_dir import atomic_write, read_kv
    from TrainAndTest.embeddings import speaker_means
    from TrainAndTest.io.embeddings import Embeddings, read_embeddings, write_embeddings

    spk2utt = read_kv(args.spk2utt, multi=True)
    utt = read_embeddings(args.xvector_scp)
    means, counts = speaker_means(dict(zip(utt.ids, utt.matrix)), spk2utt)
    if not means:
        print(f"speaker_mean: no speaker of {args.spk2utt} has an embedding", file=sys.stderr)
        return 1
    out = Path(args.out_dir)
    spks = sorted(means)
    write_embeddings(out / "spk_xvector", Embeddings(spks, np.stack([means[s] for s in spks])))
    with atomic_write(out / "num_utts.ark") as f:
        for spk in spks:
            f.write(f"{spk} {counts[spk]}\n")
    print(f"speaker_mean: {len(means)} speakers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
