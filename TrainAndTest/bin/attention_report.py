"""Attention maps of attentive pooling against energy and VAD: ``python -m TrainAndTest.bin.attention_report``.

Usage:
    python -m TrainAndTest.bin.attention_report [options] <exp-dir> <data-dir> <out-dir>
    e.g. python -m TrainAndTest.bin.attention_report --max-utts 100 exp/minivox_ecapa \\
        data/minivox_test exp/minivox_ecapa/attention

Writes ``attention.tsv`` (per utterance: correlation of the mean attention with the energy
VAD, mean cross-channel cosine of the attention curves, voiced share), ``attention.md``
(means), ``attention_<utt>.png`` for the first ``--plot-utts`` utterances (spectrogram,
per-channel attention, mean attention with log energy and VAD) and
``attention_vad_correlation.png`` (histogram over utterances). The energy VAD is Kaldi's
rule on the frame log energy (fbank: log-sum-exp of the bins); with a high noise floor its
default threshold (5 + 0.5 x mean) calls every frame voiced, and the correlation of that
utterance is NaN (left out of the means): ``--vad-energy-threshold 0
--vad-energy-mean-scale 1`` calls the frames above the utterance's mean energy voiced.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

PROG = "attention_report"


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, compute and write the report; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.attention_report",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("exp_dir")
    p.add_argument("data_dir")
    p.add_argument("out_dir")
    p.add_argument("--max-utts", type=int, default=0)
    p.add_argument("--per-speaker", type=int, default=0)
    p.add_argument("--plot-utts", type=int, default=3)
    p.add_argument("--vad-energy-threshold", type=float, default=None,
                   help="energy VAD: Kaldi's --vad-energy-threshold (default: the model's "
                   "VAD options, Kaldi's 5.0)")
    p.add_argument("--vad-energy-mean-scale", type=float, default=None,
                   help="energy VAD: Kaldi's --vad-energy-mean-scale (default 0.5)")
    args = p.parse_args(argv)

    import dataclasses

    import numpy as np

    from Process_Data.data_dir import atomic_write
    from TrainAndTest.analysis import AnalysisError
    from TrainAndTest.analysis.attention_maps import attention_report
    from TrainAndTest.analysis.loading import iter_inputs, load_analysis_model, select_utts
    from TrainAndTest.analysis.plots import plot_attention, plot_histograms

    out = Path(args.out_dir)
    rows, corr, sim, voiced = [], [], [], []
    try:
        am = load_analysis_model(args.exp_dir)
        fe = am.frontend
        if fe is None or fe.vad:
            raise AnalysisError("attention_report needs a model with a recorded front end "
                                "without VAD (attention and energy on the same frames)")
        vad_opts = dataclasses.replace(fe.vad_options)
        if args.vad_energy_threshold is not None:
            vad_opts.vad_energy_threshold = args.vad_energy_threshold
        if args.vad_energy_mean_scale is not None:
            vad_opts.vad_energy_mean_scale = args.vad_energy_mean_scale
        utts = select_utts(args.data_dir, None, args.max_utts, args.per_speaker)
        out.mkdir(parents=True, exist_ok=True)
        for i, u in enumerate(iter_inputs(args.data_dir, fe, utts)):
            rep = attention_report(am.model, u.x, u.raw, fe.feature, vad_opts)
            corr.append(rep["vad_correlation"])
            sim.append(rep["channel_similarity"])
            voiced.append(float(np.mean(rep["vad"])))
            rows.append(f"{u.utt}\t{corr[-1]:.4f}\t{sim[-1]:.4f}\t{voiced[-1]:.3f}")
            if i < args.plot_utts:
                plot_attention(u.x, rep, out / f"attention_{u.utt}.png", u.utt)
    except (AnalysisError, FileNotFoundError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    with atomic_write(out / "attention.tsv") as f:
        f.write("utt\tvad_correlation\tchannel_similarity\tvoiced_share\n")
        f.write("\n".join(rows) + "\n")
    c = np.asarray(corr)
    summary = (f"| utterances | corr(mean attention, VAD) mean | median | share > 0 | "
               f"cross-channel cosine | voiced share |\n|---|---|---|---|---|---|\n"
               f"| {len(c)} | {np.nanmean(c):.3f} | {np.nanmedian(c):.3f} | "
               f"{np.mean(c[np.isfinite(c)] > 0):.2f} | {np.nanmean(sim):.3f} | "
               f"{np.mean(voiced):.2f} |\n")
    with atomic_write(out / "attention.md") as f:
        f.write(summary)
    plot_histograms({"corr(mean attention, energy VAD)": c}, out / "attention_vad_correlation.png",
                    "Pearson correlation per utterance", bins=30)
    print(summary, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
