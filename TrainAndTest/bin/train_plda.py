"""Train a PLDA back-end (transforms + PLDA): ``python -m TrainAndTest.bin.train_plda``.

Usage:
    python -m TrainAndTest.bin.train_plda [--plda-type kaldi] [--lda-dim 200] \\
        [--length-norm true] [--num-em-iters 10] [--rank-f 100] \\
        exp/x/xvectors_train/xvector.scp data/train/utt2spk exp/x/xvectors_train/plda.npz

``kaldi``: mean subtraction, LDA, length normalisation and two-covariance PLDA, as
ivector-compute-lda / ivector-compute-plda in Kaldi's VoxCeleb recipe. ``simplified``:
SIDEKIT/SpeechBrain PLDA (use ``--lda-dim 0 --length-norm false`` for SpeechBrain's chain).
Only utterances in both the embeddings and utt2spk are used (the counts are logged).

Domain adaptation (``--utt2domain data/train/utt2domain --adapt-domain rav --domain-weight 3``):
the training utterances of the target domain count ``W`` times in the LDA and PLDA statistics,
so the within- and between-speaker covariances lean towards that domain's (interpolating the
out-of-domain and in-domain estimates, as Kaldi's PLDA adaptation does with in-domain data).
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
    p.add_argument("--utt2domain", default="", help="domain of each training utterance")
    p.add_argument("--adapt-domain", default="", help="domain whose utterances are up-weighted")
    p.add_argument("--domain-weight", type=int, default=1, help="times each counts (>= 1)")
    args = p.parse_args(argv)
    if args.domain_weight < 1:
        p.error(f"--domain-weight must be >= 1, got {args.domain_weight}")
    if args.adapt_domain and not args.utt2domain:
        p.error("--adapt-domain needs --utt2domain")

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
        if args.adapt_domain and args.domain_weight > 1:
            utt2domain = read_kv(args.utt2domain)
            inside = [i for i in keep if utt2domain.get(emb.ids[i]) == args.adapt_domain]
            if not inside:
                raise EmbeddingError(
                    f"{args.utt2domain}: no training utterance of domain '{args.adapt_domain}'"
                )
            keep += inside * (args.domain_weight - 1)
            print(f"train_plda: {len(inside)} utterances of domain '{args.adapt_domain}' count "
                  f"{args.domain_weight} times", file=sys.stderr)  # fmt: skip
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
