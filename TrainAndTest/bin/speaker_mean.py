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
from typing import List, Mapping, Optional


def write_speaker_means(out_dir, utt, spk2utt: Mapping[str, List[str]], what: str) -> int:
    """Write ``spk_xvector.{ark,scp}`` and ``num_utts.ark`` of the utterance embeddings
    ``utt`` (an ``Embeddings``) into ``out_dir``; returns the number of speakers.

    Raises:
        ValueError: no speaker of ``spk2utt`` (read from ``what``) has an embedding.
    """
    import numpy as np

    from Process_Data.data_dir import atomic_write
    from TrainAndTest.embeddings import speaker_means
    from TrainAndTest.io.embeddings import Embeddings, write_embeddings

    means, counts = speaker_means(dict(zip(utt.ids, utt.matrix)), spk2utt)
    if not means:
        raise ValueError(f"no speaker of {what} has an embedding")
    out = Path(out_dir)
    spks = sorted(means)
    write_embeddings(out / "spk_xvector", Embeddings(spks, np.stack([means[s] for s in spks])))
    with atomic_write(out / "num_utts.ark") as f:
        for spk in spks:
            f.write(f"{spk} {counts[spk]}\n")
    return len(spks)


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, average, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.speaker_mean")
    p.add_argument("spk2utt")
    p.add_argument("xvector_scp")
    p.add_argument("out_dir")
    args = p.parse_args(argv)

    from Process_Data.data_dir import read_kv
    from TrainAndTest.io.embeddings import read_embeddings

    spk2utt = read_kv(args.spk2utt, multi=True)
    utt = read_embeddings(args.xvector_scp)
    try:
        n = write_speaker_means(args.out_dir, utt, spk2utt, args.spk2utt)
    except ValueError as e:
        print(f"speaker_mean: {e}", file=sys.stderr)
        return 1
    print(f"speaker_mean: {n} speakers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
