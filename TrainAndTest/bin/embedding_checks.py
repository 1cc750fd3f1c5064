"""Embedding-space checks: ``python -m TrainAndTest.bin.embedding_checks``.

Usage:
    python -m TrainAndTest.bin.embedding_checks [--data-dir D [--max-utts N]] <exp-dir> <out-dir>
    e.g. python -m TrainAndTest.bin.embedding_checks --data-dir data/minivox_test \\
        exp/minivox_ecapa exp/minivox_ecapa/embedding_checks

Writes ``prototypes.png`` (cosine between the head's class prototypes against random
Gaussian vectors of the same dimension), ``loss_bound.png`` (lower bound of the
(AAM-)softmax loss against the scale for several class counts, the model's own included),
with ``--data-dir`` the scoring bias of a speaker mean that includes the scored utterance
(``inclusion_bias.png``), and ``embedding_checks.md`` with the numbers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

PROG = "embedding_checks"


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.embedding_checks",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("exp_dir", help="experiment dir with final.pt (its loss head)")
    p.add_argument("out_dir", help="where the figures and embedding_checks.md go")
    p.add_argument("--data-dir", default="", help="embed its utterances for the bias check")
    p.add_argument("--max-utts", type=int, default=0, help="at most N of them (0: all)")
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, compute and write the checks; returns the exit code."""
    args = parse_args(argv)

    import numpy as np

    from Process_Data.data_dir import atomic_write, read_kv
    from TrainAndTest.analysis import AnalysisError
    from TrainAndTest.analysis.embedding_space import (
        inclusion_bias,
        pairwise_cosines,
        random_cosines,
        softmax_loss_lower_bound,
    )
    from TrainAndTest.analysis.loading import iter_inputs, load_analysis_model, select_utts
    from TrainAndTest.analysis.plots import plot_histograms, plot_loss_bound
    from TrainAndTest.analysis.targets import prototypes
    from TrainAndTest.embeddings import embed_utterance

    out = Path(args.out_dir)
    try:
        am = load_analysis_model(args.exp_dir)
        if am.head is None:
            raise AnalysisError(f"{args.exp_dir}: the model file has no loss head")
        protos = prototypes(am.head).numpy()
    except (AnalysisError, FileNotFoundError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    trained = pairwise_cosines(protos)
    rand = random_cosines(len(protos), protos.shape[1])
    plot_histograms({f"prototypes ({len(protos)} x {protos.shape[1]})": trained,
                     "random Gaussian vectors": rand}, out / "prototypes.png",
                    "cosine between class prototypes")
    lines = ["| | mean cosine | std | max |", "|---|---|---|---|",
             f"| trained prototypes | {trained.mean():.4f} | {trained.std():.4f} | "
             f"{trained.max():.3f} |",
             f"| random vectors | {rand.mean():.4f} | {rand.std():.4f} | {rand.max():.3f} |"]
    scale = float(getattr(am.head, "scale", 30.0) or 30.0)
    margin = float(getattr(am.head, "margin", 0.0) or 0.0)
    scales = np.linspace(1, 64, 127)
    bounds = {f"C={c}, m={m:g}": [softmax_loss_lower_bound(s, c, m) for s in scales]
              for c in sorted({len(protos), 1211, 5994}) for m in sorted({0.0, margin})}
    plot_loss_bound(scales, bounds, out / "loss_bound.png")
    lines += ["", f"loss lower bound at the model's s={scale:g}, m={margin:g}, "
              f"C={len(protos)}: {softmax_loss_lower_bound(scale, len(protos), margin):.3g}"]
    if args.data_dir:
        utts = select_utts(args.data_dir, None, args.max_utts)
        embs = {u.utt: embed_utterance(am.model, u.x)
                for u in iter_inputs(args.data_dir, am.frontend, utts)}
        bias = inclusion_bias(embs, read_kv(Path(args.data_dir) / "spk2utt", multi=True))
        diff = bias["included"] - bias["excluded"]
        plot_histograms({"mean includes the utterance": bias["included"],
                         "mean excludes it": bias["excluded"]}, out / "inclusion_bias.png",
                        "cosine to the speaker mean")
        lines += ["", "| speaker mean | mean cosine | utterances |", "|---|---|---|",
                  f"| includes the utterance | {bias['included'].mean():.4f} | {len(diff)} |",
                  f"| excludes it | {bias['excluded'].mean():.4f} | {len(diff)} |",
                  f"| bias (difference) | {diff.mean():.4f} | mean {bias['num_utts'].mean():.1f}"
                  f" utts per speaker |"]
    text = "\n".join(lines) + "\n"
    with atomic_write(out / "embedding_checks.md") as f:
        f.write(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
