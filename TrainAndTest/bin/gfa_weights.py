"""Gradient frequency attention weights of a trained model: ``python -m TrainAndTest.bin.gfa_weights``.

Usage:
    python -m TrainAndTest.bin.gfa_weights [options] <exp-dir> <data-dir> <out-dir>
    e.g. python -m TrainAndTest.bin.gfa_weights --per-speaker 4 exp/base data/train exp/gfa

Averages ``|saliency|`` (default: the input gradient of each utterance's training-speaker
logit) over time and over the utterances into one weight per input bin, mean 1, and writes
``<out-dir>/freq_weights.npy`` with ``freq_weights.yaml`` (the same numbers as a YAML
list, for ``--model_conf.freq_weights``); for fbank and spectrogram front ends also the
mel-scale weights ``mel_weights.{npy,yaml}``; and ``freq_weights.png`` with both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

PROG = "gfa_weights"


def write_weights(out: Path, name: str, weights) -> None:
    """``<name>.npy`` and ``<name>.yaml`` (a flow list), each written then renamed."""
    import os

    import numpy as np

    from Process_Data.data_dir import atomic_write

    tmp = out / f".{name}.tmp{os.getpid()}.npy"
    np.save(tmp, np.asarray(weights, np.float32))
    os.replace(tmp, out / f"{name}.npy")
    with atomic_write(out / f"{name}.yaml") as f:
        f.write("[" + ", ".join(f"{float(w):.6g}" for w in weights) + "]\n")


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, compute and write the weights; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.gfa_weights",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("exp_dir")
    p.add_argument("data_dir", help="training utterances (feats.scp, utt2spk)")
    p.add_argument("out_dir")
    p.add_argument("--method", default="saliency", help="attribution method (registry name)")
    p.add_argument("--target", default="speaker", help="speaker | verification")
    p.add_argument("--max-utts", type=int, default=0, help="at most N utterances (0: all)")
    p.add_argument("--per-speaker", type=int, default=0, help="first N of each speaker")
    p.add_argument("--spk2int", default=None)
    args = p.parse_args(argv)

    import torch

    from TrainAndTest.analysis import AnalysisError
    from TrainAndTest.analysis.frequency_attention import (
        bin_centres,
        bin_weights,
        frequency_profile,
        mel_weights,
    )
    from TrainAndTest.analysis.loading import iter_inputs, load_analysis_model, select_utts
    from TrainAndTest.analysis.plots import plot_weights
    from TrainAndTest.analysis.session import Analyser, warn_notes

    torch.set_num_threads(max(torch.get_num_threads(), 1))
    try:
        am = load_analysis_model(args.exp_dir, args.spk2int)
        analyser = Analyser(am, args.data_dir, args.target)
        utts = select_utts(args.data_dir, None, args.max_utts, args.per_speaker)
        profiles = []
        for u in iter_inputs(args.data_dir, am.frontend, utts):
            sal = analyser.maps(u.utt, u.x, [args.method], None, {})[args.method]
            profiles.append(frequency_profile(sal.numpy()))
        weights = bin_weights(profiles)
    except (AnalysisError, FileNotFoundError, ValueError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    warn_notes(analyser.notes, PROG)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_weights(out, "freq_weights", weights)
    curves = {f"GFA ({args.method}, {len(profiles)} utts)": weights}
    if am.frontend is not None and am.frontend.feature in ("fbank", "spectrogram"):
        mel = mel_weights(bin_centres(am.frontend))
        write_weights(out, "mel_weights", mel)
        curves["mel-scale density"] = mel
    plot_weights(curves, out / "freq_weights.png",
                 xlabel=f"{am.frontend.feature if am.frontend else 'feature'} bin")
    print(f"{PROG}: weights of {len(profiles)} utterances in {out}/freq_weights.npy "
          f"(min {weights.min():.3f}, max {weights.max():.3f})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
