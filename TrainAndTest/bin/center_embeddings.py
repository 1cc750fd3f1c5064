"""Centre embeddings per domain: ``python -m TrainAndTest.bin.center_embeddings``.

Usage:
    python -m TrainAndTest.bin.center_embeddings [--spk2utt data/test/spk2utt] \\
        data/dev/utt2domain exp/x/xvectors_dev/xvector.scp \\
        data/test/utt2domain exp/x/xvectors_test/xvector.scp exp/x/xvectors_test_dc

Estimates each domain's mean from the training embeddings (``utt2domain`` of the training
set; length-normalised first) and writes ``xvector.{ark,scp}`` = embedding minus its domain's
mean into the output dir, plus ``spk_xvector.{ark,scp}`` and ``num_utts.ark`` when
``--spk2utt`` is given. Every embedding of the input needs a domain; every training embedding
too. A domain without training embeddings falls back to the global mean (with a warning).
``-`` for both ``utt2domain`` tables puts every embedding in one domain: each embedding minus
the mean of all training embeddings ("submean", the recipe's ``cosine_sm``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def _domains(path: str, ids: List[str], what: str) -> List[str]:
    from Process_Data.data_dir import read_kv

    if path == "-":
        return ["all"] * len(ids)
    table = read_kv(path)
    missing = [u for u in ids if u not in table]
    if missing:
        raise ValueError(
            f"{path}: no domain for {len(missing)} of the {len(ids)} {what} embeddings "
            f"(e.g. '{missing[0]}')"
        )
    return [str(table[u]) for u in ids]


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fit, transform, write; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.center_embeddings")
    p.add_argument("--spk2utt", default="", help="also write speaker means of the result")
    p.add_argument(
        "--length-norm", default="true", choices=["true", "false"],
        help="length-normalise before taking and subtracting the means (default true)",
    )  # fmt: skip
    p.add_argument("train_utt2domain")
    p.add_argument("train_xvector_scp")
    p.add_argument("utt2domain")
    p.add_argument("xvector_scp")
    p.add_argument("out_dir")
    args = p.parse_args(argv)
    if (args.train_utt2domain == "-") != (args.utt2domain == "-"):
        p.error("'-' (one domain) must be given for both utt2domain tables or for neither")

    import numpy as np

    from Process_Data.data_dir import read_kv
    from TrainAndTest.backend.domain import DomainCentering
    from TrainAndTest.bin.speaker_mean import write_speaker_means
    from TrainAndTest.io.embeddings import Embeddings, read_embeddings, write_embeddings

    try:
        train = read_embeddings(args.train_xvector_scp)
        emb = read_embeddings(args.xvector_scp)
        dc = DomainCentering(args.length_norm == "true")
        dc.fit(train.matrix, _domains(args.train_utt2domain, train.ids, "training"))
        domains = _domains(args.utt2domain, emb.ids, "input")
        for d, n in sorted(dc.unseen(domains).items()):
            print(
                f"center_embeddings: warning: domain '{d}' ({n} embeddings) has no training "
                "embeddings; the global mean is used", file=sys.stderr,
            )  # fmt: skip
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        centred = Embeddings(emb.ids, dc.transform(emb.matrix, domains).astype(np.float32))
        write_embeddings(out / "xvector", centred)
        if args.spk2utt:
            spk2utt = read_kv(args.spk2utt, multi=True)
            write_speaker_means(out, centred, spk2utt, args.spk2utt)
    except (OSError, ValueError) as e:
        print(f"center_embeddings: {e}", file=sys.stderr)
        return 1
    sizes = ", ".join(f"{d} {n}" for d, n in sorted(dc.counts.items()))
    print(f"center_embeddings: {len(emb.ids)} embeddings centred; training domains: {sizes}",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
