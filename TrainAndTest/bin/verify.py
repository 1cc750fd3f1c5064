"""Verify a speaker: ``python -m TrainAndTest.bin.verify``.

Usage:
    python -m TrainAndTest.bin.verify [--threshold T | --target-far F] <exp-dir|model.pt> \\
        <enrol.wav>[,<enrol2.wav>...] <test.wav>

e.g.:
    python -m TrainAndTest.bin.verify --target-far 0.01 exp/ecapa_tdnn_demo alice1.wav,alice2.wav probe.wav

Prints the cosine score of the test embedding against the enrolment embedding (with
several enrolment files, the mean of their embeddings), the calibrated log-likelihood
ratio when the experiment stores a calibration, and accept/reject at the stored operating
point (``<exp>/calibration/thresholds.json``, default row, usually the EER point).
``--threshold`` sets the threshold on the cosine score; ``--target-far`` picks the stored
row for that false-acceptance rate (0.01, 0.001). Output: one line of ``key=value``
fields. Exit code 0 for accept and reject alike; 1 for an error (the file is named).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, embed, score, decide; returns the exit code."""
    p = argparse.ArgumentParser(
        prog="python -m TrainAndTest.bin.verify", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("model", help="exp dir (its final.pt) or a model file")
    p.add_argument(
        "enrol", help="enrolment audio, several comma-separated: their embeddings are averaged"
    )
    p.add_argument("test", help="test audio")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--threshold", type=float, default=None, help="accept when the cosine score is >= this"
    )
    group.add_argument(
        "--target-far",
        type=float,
        default=None,
        help="use the stored threshold of this false-acceptance rate",
    )
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    prog = "verify"

    import torch

    from TrainAndTest.inference import Encoder, EncoderError, InputError, cosine_score
    from TrainAndTest.inference.operating_point import load_operating_point

    torch.set_num_threads(1)
    enrol = [e for e in args.enrol.split(",") if e]
    if not enrol:
        print(f"{prog}: no enrolment file given", file=sys.stderr)
        return 1
    try:
        enc = Encoder.load(args.model, device=args.device)
        op = load_operating_point(args.model)
        if op.rows and op.scoring != "cosine":
            raise ValueError(
                f"{op.where}: thresholds are for '{op.scoring}' scores; verify "
                "scores by cosine (pass --threshold)"
            )
        threshold = args.threshold if args.threshold is not None else op.threshold(args.target_far)
        enrol_emb = torch.stack([enc.embed_file(e) for e in enrol]).mean(dim=0)
        test_emb = enc.embed_file(args.test)
    except (EncoderError, InputError, ValueError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    score = cosine_score(enrol_emb, test_emb)
    llr = op.llr(score)
    fields = [f"score={score:.6f}", f"llr={llr:.4f}" if llr is not None else "llr=none"]
    if threshold is None:
        fields += ["threshold=none", "decision=none"]
        print(f"{prog}: no stored operating point in {op.where}: pass --threshold", file=sys.stderr)
    else:
        fields += [
            f"threshold={threshold:.6f}",
            f"decision={'accept' if score >= threshold else 'reject'}",
        ]
    print(" ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
