"""Attribution maps of a trained model: ``python -m TrainAndTest.bin.analyse``.

Usage:
    python -m TrainAndTest.bin.analyse [options] <exp-dir> <data-dir> <out-dir>
    e.g. python -m TrainAndTest.bin.analyse --method integrated_gradients --baseline zeros \\
        --steps 64 --max-utts 20 exp/minivox_ecapa data/minivox_test exp/minivox_ecapa/ig
    python -m TrainAndTest.bin.analyse --list-layers exp/minivox_ecapa

Writes ``<out-dir>/saliency.{ark,scp}`` (one ``frames x bins`` matrix per utterance, rows
aligned with its features; unvoiced frames zero when the model uses VAD) for one method, or
``<out-dir>/<method>/saliency.{ark,scp}`` for several (``--method saliency,gradcam`` or
``all``), PNG overlays of the first ``--plot-utts`` utterances (``png/<utt>.png``, the
methods side by side), and with ``--curves`` the insertion/deletion curves: per-utterance
areas (``perturbation.tsv``), the mean areas per method and for a random order
(``perturbation.md``) and the mean curves (``curves.png``).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Dict, List, Optional

PROG = "analyse"


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.analyse",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("exp_dir", help="experiment dir with final.pt (or a model file)")
    p.add_argument("data_dir", nargs="?", help="data dir with feats.scp and utt2spk")
    p.add_argument("out_dir", nargs="?")
    p.add_argument("--method", default="saliency",
                   help="method name, a comma-separated list, or 'all'")
    p.add_argument("--layer", default=None, help="module path for gradcam / gradcam_pp")
    p.add_argument("--list-layers", action="store_true", help="print the layer names, exit")
    p.add_argument("--target", default="speaker", help="speaker | verification")
    p.add_argument("--baseline", default="zeros", help="integrated gradients: zeros|mean|noise")
    p.add_argument("--steps", type=int, default=50, help="integrated gradients: path points")
    p.add_argument("--samples", type=int, default=64, help="expected IG: draws")
    p.add_argument("--references", type=int, default=16, help="expected IG: baseline utts")
    p.add_argument("--enrol-utts", type=int, default=5, help="verification: enrolment utts")
    p.add_argument("--utts", default="", help="comma-separated utterance ids")
    p.add_argument("--max-utts", type=int, default=0, help="first N utterances (0: all)")
    p.add_argument("--per-speaker", type=int, default=0, help="first N of each speaker")
    p.add_argument("--plot-utts", type=int, default=3, help="PNG overlays of the first N")
    p.add_argument("--curves", action="store_true", help="insertion/deletion curves")
    p.add_argument("--curve-points", type=int, default=21, help="points per curve")
    p.add_argument("--trials", default="", help="with --curves: EER of this labelled list "
                   "as the top bins of its test utterances are deleted (without --utts or "
                   "--per-speaker: the first --max-utts test utterances with both target "
                   "and non-target trials)")
    p.add_argument("--spk2int", default=None, help="training speaker -> class (default: "
                   "the egs dir's, from the training config)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if not args.list_layers and not (args.data_dir and args.out_dir):
        p.error("<data-dir> and <out-dir> are required (except with --list-layers)")
    return args


def method_names(spec: str) -> List[str]:
    """Method names of ``--method`` (checked; ``all`` is every registered method)."""
    from TrainAndTest.analysis import ATTRIBUTIONS, AnalysisError

    names = ATTRIBUTIONS.names() if spec == "all" else [m for m in spec.split(",") if m]
    for name in names:
        if name not in ATTRIBUTIONS:
            raise AnalysisError(f"unknown method '{name}'; valid methods: "
                                f"{', '.join(ATTRIBUTIONS.names())}")
    return names


def run(args: argparse.Namespace) -> int:
    """Compute and write everything the arguments ask for; returns the exit code."""
    import numpy as np
    import torch

    from Process_Data.kaldi_table import TableWriter
    from TrainAndTest.analysis.layers import frame_layers
    from TrainAndTest.analysis.loading import (
        expand_to_frames,
        iter_inputs,
        load_analysis_model,
        select_utts,
    )
    from TrainAndTest.analysis.plots import plot_curves, plot_lines, plot_overlays
    from TrainAndTest.analysis.session import (
        Analyser,
        TrialDeletion,
        areas_table,
        curves_of,
        eer_table,
        summarise_areas,
        warn_notes,
    )

    torch.manual_seed(args.seed)
    am = load_analysis_model(args.exp_dir, args.spk2int)
    if args.list_layers:
        print("\n".join(frame_layers(am.model)))
        return 0
    methods = method_names(args.method)
    analyser = Analyser(am, args.data_dir, args.target, args.enrol_utts, args.references)
    fractions = np.linspace(0.0, 1.0, max(args.curve_points, 2))
    trial_deletion = TrialDeletion(args.trials, fractions) if args.curves and args.trials \
        else None
    chosen = [u for u in args.utts.split(",") if u]
    if trial_deletion is not None and not chosen and not args.per_speaker:
        utts = trial_deletion.test_utts(select_utts(args.data_dir), args.max_utts)
    else:
        utts = select_utts(args.data_dir, chosen, args.max_utts, args.per_speaker)
    if trial_deletion is not None:
        trial_deletion.check(utts)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dirs = {m: out if len(methods) == 1 else out / m for m in methods}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    options = {"baseline": args.baseline, "steps": args.steps, "samples": args.samples,
               "seed": args.seed}
    areas: Dict[str, list] = {}
    mean_curves: Dict[str, dict] = {}
    rows = ["utt\tmethod\tdeletion_area\tinsertion_area"]
    with ExitStack() as stack:
        writers = {m: stack.enter_context(TableWriter(f"ark,scp:{d}/saliency.ark,{d}/saliency.scp"))
                   for m, d in dirs.items()}
        for i, u in enumerate(iter_inputs(args.data_dir, am.frontend, utts)):
            target = analyser.target_for(u.utt, u.x)
            maps = analyser.maps(u.utt, u.x, methods, args.layer, options, target)
            for m, sal in maps.items():
                writers[m](u.utt, expand_to_frames(sal.numpy(), u.vad))
            if i < args.plot_utts:
                plot_overlays(u.x, {m: s.numpy() for m, s in maps.items()},
                              out / "png" / f"{u.utt}.png", f"{u.utt} ({args.target})")
            if args.curves:
                for m, c in curves_of(target, u.x, maps, fractions, args.seed + i).items():
                    areas.setdefault(m, []).append({"deletion": c["deletion_area"],
                                                    "insertion": c["insertion_area"]})
                    rows.append(f"{u.utt}\t{m}\t{c['deletion_area']:.4f}\t"
                                f"{c['insertion_area']:.4f}")
                    acc = mean_curves.setdefault(m, {"fractions": fractions, "deletion": 0.0,
                                                     "insertion": 0.0, "n": 0})
                    acc["deletion"] = acc["deletion"] + c["deletion"]
                    acc["insertion"] = acc["insertion"] + c["insertion"]
                    acc["n"] += 1
                if trial_deletion is not None:
                    trial_deletion.add(am.model, u.utt, u.x, maps, args.seed + i)
            print(f"{PROG}: {u.utt}: {', '.join(methods)} done", file=sys.stderr)
    warn_notes(analyser.notes, PROG)
    if args.curves and areas:
        write_text(out / "perturbation.tsv", "\n".join(rows) + "\n")
        table = areas_table(summarise_areas(areas))
        write_text(out / "perturbation.md", table)
        print(table, end="")
        plot_curves({m: {"fractions": c["fractions"], "deletion": c["deletion"] / c["n"],
                         "insertion": c["insertion"] / c["n"]}
                     for m, c in mean_curves.items()}, out / "curves.png")
    if trial_deletion is not None:
        eers = trial_deletion.eers(analyser)
        table = eer_table(eers, fractions)
        write_text(out / "deletion_eer.md", table)
        print(table, end="")
        plot_lines({m: (fractions, 100 * e) for m, (e, _) in eers.items()},
                   out / "deletion_eer.png", "share of bins deleted", "EER %")
    print(f"{PROG}: wrote maps of {len(utts)} utterances to {out}", file=sys.stderr)
    return 0


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary name, then rename it to ``path``."""
    from Process_Data.data_dir import atomic_write

    with atomic_write(path) as f:
        f.write(text)


def main(argv: Optional[List[str]] = None) -> int:
    """Parse, run, turn bad input into a one-line error; returns the exit code."""
    args = parse_args(argv)
    from TrainAndTest.analysis import AnalysisError

    try:
        return run(args)
    except (AnalysisError, FileNotFoundError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
