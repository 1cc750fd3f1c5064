"""t-SNE plot of a set's embeddings, one colour per speaker: ``python -m TrainAndTest.bin.plot_tsne``.

Usage:
    python -m TrainAndTest.bin.plot_tsne [--max-speakers 20] [--max-points 2000] \\
        exp/x/xvectors_test data/test/utt2spk exp/x/tsne_test.png

Needs only embeddings (a dir holding ``xvector.scp``, an scp, or an npz) and the set's
``utt2spk``: no trial list and no scores, so it works for any set that was extracted
(CN-Celeb's test set has its trials scored against another set's enrolment embeddings).
Embeddings whose id is not in ``utt2spk`` are left out; it is an error when none is left.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments and write the PNG; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.plot_tsne",
                                description=__doc__.splitlines()[0])
    p.add_argument("embeddings", help="embedding dir (xvector.scp), scp or npz")
    p.add_argument("utt2spk", help="utt2spk of the set (speaker of each embedding)")
    p.add_argument("png", help="output PNG (written atomically)")
    p.add_argument("--max-speakers", type=int, default=20, help="speakers with most embeddings")
    p.add_argument("--max-points", type=int, default=2000, help="cap on embeddings plotted")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    prog = "plot_tsne"

    from Process_Data.data_dir import read_kv
    from TrainAndTest.io.embeddings import read_embeddings
    from TrainAndTest.metrics.plots import plot_tsne

    try:
        emb = read_embeddings(args.embeddings)
        utt2spk = read_kv(args.utt2spk)
        keep = [i for i, u in enumerate(emb.ids) if u in utt2spk]
        if not keep:
            raise ValueError(f"no embedding id of {args.embeddings} is in {args.utt2spk}")
        plotted = plot_tsne(emb.matrix[keep], [utt2spk[emb.ids[i]] for i in keep], args.png,
                            max_speakers=args.max_speakers, max_points=args.max_points,
                            seed=args.seed)
    except (ValueError, OSError, KeyError) as e:
        print(f"{prog}: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"{prog}: {sum(plotted.values())} embeddings of {len(plotted)} speakers -> "
          f"{args.png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
