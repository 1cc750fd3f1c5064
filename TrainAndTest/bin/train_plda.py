"""Train a PLDA back-end (transforms + PLDA): ``python -m TrainAndTest.bin.train_plda``.

Usage:
    python -m TrainAndTest.bin.train_plda [--plda-type kaldi] [--lda-dim 200] \\
        [--length-norm true] [--num-em-iters 10] [--rank-f 100] \\
        exp/x/xvectors_train/xvector.scp data/train/utt2spk exp/x/xvectors_train/plda.npz

``kaldi``: mean subtraction, LDA, length normalisation and two-covariance PLDA, as
ivector-compute-lda / ivector-compute-plda in Kaldi's VoxCeleb recipe. ``simplified``:
SIDEKIT/SpeechBrain PLDA (use ``--lda-dim 0 --length-norm false`` for SpeechBrain's chain).
Only utterances in both the embeddings and utt2spk are used (the counts are logged).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got '{text}'")
    return text == "true"


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, train, save; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.train_plda")
    p.add_argument("embeddings")
    p.add_argument("utt2spk")
    p.add_argument("out")
    p.add_argument("--plda-type", default="kaldi", choices=["kaldi", "simplified"])
    p.add_argument("--lda-dim", type=int, default=200, help="0: no LDA")
    p.add_argument("--length-norm", type=_bool, default=True)
    p.add_argument("--num-em-iters", type=int, default=10)
    p.add_argument("--rank-f", type=int, default=100)
    args = p.parse_args(argv)

    from Process_Data.data_dir import DataDirError, read_kv
    from TrainAndTest.backend.pipeline import PldaBackend
    from TrainAndTest.io.embeddings import EmbeddingError, read_embeddings

    try:
        emb = read_embeddings(args.embeddings)
        utt2spk = read_kv(args.utt2spk)
        keep = [i for i, u in enumerate(emb.ids) if u in utt2spk]
        print(f"train_plda: {len(keep)} of {len(emb.ids)} embeddings have a speaker in "
              f"{args.utt2spk} ({len(utt2spk)} utterances)", file=sys.stderr)
        if not keep:
            raise EmbeddingError(f"no embedding id of {args.embeddings} is in {args.utt2spk}")
        labels = [utt2spk[emb.ids[i]] for i in keep]
        backend = PldaBackend(args.plda_type, args.lda_dim, args.length_norm,
                              args.num_em_iters, args.rank_f).fit(emb.matrix[keep], labels)
        backend.save(args.out)
    except (EmbeddingError, DataDirError, ValueError, OSError) as e:
        print(f"train_plda: ERROR: {e}", file=sys.stderr)
        return 1
    print(f"train_plda: wrote {args.out} ({len(set(labels))} speakers)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
