"""Extract embeddings of the utterances in a feats.scp: ``python -m TrainAndTest.bin.extract_embeddings``.

Usage:
    python -m TrainAndTest.bin.extract_embeddings --model exp/x/final.pt \\
        --feats-scp data/test/split4/1/feats.scp [--vad-scp .../vad.scp] [--data-dir data/test] \\
        [--chunk-size 1000 --min-chunk-size 25] [--device cuda] \\
        ark,scp:exp/x/xvectors_test/xvector.1.ark,exp/x/xvectors_test/xvector.1.scp

The front end (VAD, CMN) comes from the model (``final.pt`` records the one it was trained
with): nothing about it needs to be passed. ``--cmn-window N`` / ``--use-vad true|false``,
when given, are checks: a value that contradicts the model is an error naming both, and so
are features of another type than the model's (``--data-dir``: its ``conf/<type>.conf``)
or of another dimension. A model without a recorded front end (an older ``final.pt``) uses
these options as given (defaults: no CMN, no VAD).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got '{text}'")
    return text == "true"


def resolve_frontend(model_frontend, cmn_window: Optional[int], use_vad: Optional[bool],
                     data_dir: str = ""):
    """The front end to embed with: the model's, checked against the explicit options and
    the data dir's features; raises FrontendError naming both values on a contradiction."""
    from Process_Data.features.frontend import Frontend, FrontendError

    if model_frontend is None:
        window = cmn_window or 0
        return Frontend("", vad=bool(use_vad), cmn="sliding" if window > 0 else "none",
                        cmn_window=window or 300)
    fe = model_frontend
    if use_vad is not None and use_vad != fe.vad:
        raise FrontendError(f"--use-vad {str(use_vad).lower()} contradicts the model, which was "
                            f"trained with vad {str(fe.vad).lower()}")
    if cmn_window is not None:
        model_window = fe.cmn_window if fe.cmn == "sliding" else 0
        if cmn_window != model_window:
            raise FrontendError(f"--cmn-window {cmn_window} contradicts the model, which was "
                                f"trained with cmn {fe.cmn}"
                                + (f" (window {fe.cmn_window})" if fe.cmn == "sliding" else ""))
    if data_dir and fe.feature:
        fe.check_feature_dir(data_dir)
    return fe


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments and extract; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.extract_embeddings")
    p.add_argument("--model", required=True, help="final.pt (or an exp dir holding it)")
    p.add_argument("--feats-scp", required=True)
    p.add_argument("--vad-scp", default="", help="VAD decisions (needed when the model uses VAD)")
    p.add_argument("--data-dir", default="", help="check its conf/<type>.conf against the model")
    p.add_argument("--cmn-window", type=int, default=None,
                   help="check: sliding CMN window the model must have (0: none)")
    p.add_argument("--use-vad", type=_bool, default=None, help="check: true|false")
    p.add_argument("--chunk-size", type=int, default=-1, help="frames per chunk (-1: whole)")
    p.add_argument("--min-chunk-size", type=int, default=25)
    p.add_argument("--device", default="cpu")
    p.add_argument("wspecifier", help="ark,scp:out.ark,out.scp")
    args = p.parse_args(argv)

    import kaldiio
    import torch

    from Process_Data.features.frontend import FrontendError
    from Process_Data.progress import progress
    from TrainAndTest.checkpoint import load_model
    from TrainAndTest.embeddings import embed_utterance

    prog = "extract_embeddings"
    torch.set_num_threads(1)
    try:
        trained = load_model(args.model, args.device)
        frontend = resolve_frontend(trained.frontend, args.cmn_window, args.use_vad,
                                    args.data_dir)
    except (FileNotFoundError, FrontendError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    if trained.frontend is None:
        print(f"{prog}: WARNING: {args.model} records no front end (trained on synthetic "
              f"data or by an older version); using cmn {frontend.cmn}, vad {frontend.vad}",
              file=sys.stderr)
    if frontend.vad and not args.vad_scp:
        print(f"{prog}: the model uses VAD: pass --vad-scp (the data dir's vad.scp)",
              file=sys.stderr)
        return 1
    vad = kaldiio.load_scp(args.vad_scp) if frontend.vad else None
    n = 0
    try:
        with kaldiio.WriteHelper(args.wspecifier) as writer:
            with open(args.feats_scp) as f:
                total = sum(1 for line in f if line.strip())
            for utt, feats in progress(kaldiio.load_scp_sequential(args.feats_scp), total=total,
                                       desc=prog, unit="utt"):
                if feats.shape[1] != trained.feat_dim:
                    raise FrontendError(
                        f"{args.feats_scp}: '{utt}' has {feats.shape[1]}-dim features but the "
                        f"model was trained on {trained.feat_dim}-dim "
                        f"{frontend.feature or 'features'}")
                x = frontend.from_feats(feats, None if vad is None else vad[utt], utt)
                emb = embed_utterance(trained.model, x, args.chunk_size, args.min_chunk_size,
                                      args.device)
                writer(utt, emb)
                n += 1
    except (FrontendError, KeyError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    print(f"{prog}: wrote {n} embeddings", file=sys.stderr)
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
