"""Extract embeddings of the utterances in a feats.scp: ``python -m TrainAndTest.bin.extract_embeddings``.

Usage:
    python -m TrainAndTest.bin.extract_embeddings --model exp/x/final.pt \\
        --feats-scp data/test/split4/1/feats.scp [--vad-scp .../vad.scp] [--cmn-window 300] \\
        [--chunk-size 1000 --min-chunk-size 25] [--device cuda] \\
        ark,scp:exp/x/xvectors_test/xvector.1.ark,exp/x/xvectors_test/xvector.1.scp

Front-end processing must match the training egs: ``--cmn-window N`` applies sliding mean
normalisation (centred window of N frames, no variance normalisation; 0 disables) and
``--vad-scp`` drops unvoiced frames, in that order (as Kaldi's x-vector recipe does).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments and extract; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.extract_embeddings")
    p.add_argument("--model", required=True, help="final.pt (or an exp dir holding it)")
    p.add_argument("--feats-scp", required=True)
    p.add_argument("--vad-scp", default="", help="drop frames marked unvoiced")
    p.add_argument("--cmn-window", type=int, default=0, help="sliding CMN window (0: off)")
    p.add_argument("--chunk-size", type=int, default=-1, help="frames per chunk (-1: whole)")
    p.add_argument("--min-chunk-size", type=int, default=25)
    p.add_argument("--device", default="cpu")
    p.add_argument("wspecifier", help="ark,scp:out.ark,out.scp")
    args = p.parse_args(argv)

    import kaldiio
    import numpy as np
    import torch

    from Process_Data.egs import EgsOptions
    from Process_Data.egs.make_egs import prepare_utterance
    from TrainAndTest.embeddings import embed_utterance
    from TrainAndTest.trainer import load_final_model

    torch.set_num_threads(1)
    model_path = Path(args.model)
    if model_path.is_dir():
        model_path = model_path / "final.pt"
    if not model_path.is_file():
        print(f"extract_embeddings: no model at {model_path}", file=sys.stderr)
        return 1
    model = load_final_model(model_path, args.device)
    vad = kaldiio.load_scp(args.vad_scp) if args.vad_scp else None
    frontend = EgsOptions(cmn_window=args.cmn_window)  # the egs' own frame preparation
    n = 0
    with kaldiio.WriteHelper(args.wspecifier) as writer:
        for utt, feats in kaldiio.load_scp_sequential(args.feats_scp):
            feats = prepare_utterance(
                feats, None if vad is None else np.asarray(vad[utt]), frontend, utt
            )
            emb = embed_utterance(model, feats, args.chunk_size, args.min_chunk_size, args.device)
            writer(utt, emb)
            n += 1
    print(f"extract_embeddings: wrote {n} embeddings", file=sys.stderr)
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
