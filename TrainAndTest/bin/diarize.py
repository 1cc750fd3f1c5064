"""Diarization steps for ``local/run_diarization.sh``: ``python -m TrainAndTest.bin.diarize``.

Subcommands (each reads what the one before wrote; see ``TrainAndTest.diarization.recipe``):

    sad      wav.scp -> segments + reco2dur  (--method energy|silero|oracle)
    tune-sad silero-vad options over a grid on a development set -> best options
    embed    wav.scp + segments + final.pt -> embeddings/<reco>.npz
    cluster  segments + embeddings -> rttm   (--method ahc|spectral|umap_hdbscan)
    tune     like cluster over a threshold grid on a development set -> best threshold
    score    reference rttm + rttm -> RESULTS.md table (DER, miss, false alarm, confusion)
    plot     rttm (+ reference) -> one PNG per recording

Example:
    python -m TrainAndTest.bin.diarize sad --method silero --wav-scp data/x/wav.scp \\
        --segments exp/d/segments --reco2dur exp/d/reco2dur
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from Process_Data.data_dir import format_seconds, read_kv, write_kv


def _grid(spec: str) -> List[float]:
    """``start:stop:step`` (inclusive) or a comma list of thresholds."""
    if ":" in spec:
        start, stop, step = (float(v) for v in spec.split(":"))
        if step <= 0:
            raise ValueError(f"--thresholds {spec}: the step must be positive")
        n = int(round((stop - start) / step)) + 1
        return [round(start + i * step, 6) for i in range(max(n, 0))]
    return [float(v) for v in spec.split(",") if v.strip()]


def _regions(args):
    """(regions per recording incl. those without speech, durations)."""
    from TrainAndTest.diarization.rttm import read_segments

    durations = {k: float(v) for k, v in read_kv(args.reco2dur).items()}
    found = read_segments(args.segments) if Path(args.segments).stat().st_size else {}
    unknown = sorted(set(found) - set(durations))
    if unknown:
        raise ValueError(f"{args.segments}: recording '{unknown[0]}' is not in {args.reco2dur}")
    return {reco: found.get(reco, []) for reco in durations}, durations


def _silero_options(args):
    from TrainAndTest.diarization.sad import SileroOptions

    return SileroOptions(args.silero_threshold, args.silero_pad, args.silero_min_silence,
                         args.silero_min_speech)


def cmd_sad(args) -> None:
    from Process_Data.features.frontend import Frontend, option_file_args
    from TrainAndTest.diarization.recipe import detect_recordings
    from TrainAndTest.diarization.rttm import read_rttm, write_segments

    wav_scp = read_kv(args.wav_scp)
    frontend = None
    if args.method == "energy":
        if not (args.mfcc_config and args.vad_config):
            raise ValueError("--method energy needs --mfcc-config and --vad-config")
        frontend = Frontend("mfcc", tuple(option_file_args(args.mfcc_config)), vad=True,
                            vad_args=tuple(option_file_args(args.vad_config)))
    sad_rttm = read_rttm(args.sad_rttm) if args.sad_rttm else None
    regions, durations = detect_recordings(wav_scp, args.method, list(wav_scp), sad_rttm,
                                           frontend, silero=_silero_options(args))
    write_segments(args.segments, regions)
    write_kv(args.reco2dur, {r: format_seconds(d) for r, d in durations.items()})
    speech = sum(e - s for regs in regions.values() for s, e in regs)
    print(f"diarize sad: {len(regions)} recordings, {speech:.1f} of "
          f"{sum(durations.values()):.1f} s speech ({args.method})")


def cmd_tune_sad(args) -> None:
    import dataclasses
    import itertools

    from Process_Data.data_dir import atomic_write
    from TrainAndTest.diarization.recipe import read_reference, tune_silero
    from TrainAndTest.diarization.sad import SileroOptions

    wav_scp = read_kv(args.wav_scp)
    ref = read_reference(args.ref_rttm, list(wav_scp))
    grid = [SileroOptions(t, p, s, m) for t, p, s, m in itertools.product(
        _grid(args.thresholds), _grid(args.pads), _grid(args.min_silences),
        _grid(args.min_speeches))]
    best, rows = tune_silero(wav_scp, ref, grid, args.collar)
    with atomic_write(args.out) as f:
        f.write(" ".join(f"--silero-{k.replace('_', '-')} {v}"
                         for k, v in dataclasses.asdict(best).items()) + "\n")
    if args.table:
        with atomic_write(args.table) as f:
            f.write(f"silero-vad options (collar {args.collar} s; percent of the reference "
                    f"speech, overlap counted once), best {best}:\n\n")
            f.write("| threshold | pad s | min silence s | min speech s | miss % | "
                    "false alarm % | sum % |\n|---|---|---|---|---|---|---|\n")
            for o, r in rows:
                _, miss, fa, _ = r.percents()
                f.write(f"| {o.threshold} | {o.pad} | {o.min_silence} | {o.min_speech} | "
                        f"{miss:.2f} | {fa:.2f} | {miss + fa:.2f} |\n")
    err = dict(rows)[best].percents()
    print(f"diarize tune-sad: best {best} (miss {err[1]:.2f}%, false alarm {err[2]:.2f}%) "
          f"of {len(rows)} -> {args.out}")


def cmd_embed(args) -> None:
    import torch

    from TrainAndTest.diarization.recipe import embed_recordings
    from TrainAndTest.inference.encoder import Encoder

    if args.num_threads > 0:
        torch.set_num_threads(args.num_threads)
    regions, _ = _regions(args)
    encoder = Encoder.load(args.model, device=args.device)
    n = embed_recordings(read_kv(args.wav_scp), regions, encoder, args.out_dir, args.window,
                         args.shift, args.batch_size)
    print(f"diarize embed: {n} windows of {len(regions)} recordings -> {args.out_dir}")


def cmd_cluster(args) -> None:
    from TrainAndTest.diarization.recipe import diarize_recordings, read_num_speakers
    from TrainAndTest.diarization.rttm import write_rttm

    regions, _ = _regions(args)
    counts = read_num_speakers(args.reco2num_spk) if args.reco2num_spk else None
    turns = diarize_recordings(args.emb_dir, regions, args.method, args.threshold, counts,
                               overlap_ratio=args.overlap_ratio)
    write_rttm(args.rttm, turns)
    print(f"diarize cluster: {sum(len(t) for t in turns.values())} turns, "
          f"{sum(len({x.speaker for x in t}) for t in turns.values())} speakers in "
          f"{len(turns)} recordings -> {args.rttm}")


def cmd_tune(args) -> None:
    from Process_Data.data_dir import atomic_write
    from TrainAndTest.diarization.recipe import read_reference, tune_threshold

    regions, durations = _regions(args)
    ref = read_reference(args.ref_rttm, list(durations))
    best, rows = tune_threshold(args.emb_dir, regions, ref, durations, _grid(args.thresholds),
                                args.method, args.collar, args.skip_overlap)
    with atomic_write(args.out) as f:
        f.write(f"{best}\n")
    if args.table:
        with atomic_write(args.table) as f:
            f.write(f"Threshold sweep ({args.method}, collar {args.collar} s), best {best}:\n\n")
            f.write("| threshold | DER % | miss % | false alarm % | confusion % |\n")
            f.write("|---|---|---|---|---|\n")
            for t, r in rows:
                f.write("| {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} |\n".format(t, *r.percents()))
    print(f"diarize tune: best threshold {best} (DER "
          f"{100 * dict(rows)[best].der:.2f}%) of {len(rows)} -> {args.out}")


def cmd_score(args) -> None:
    from Process_Data.data_dir import atomic_write
    from TrainAndTest.diarization.der import results_table, score_recordings
    from TrainAndTest.diarization.recipe import read_reference
    from TrainAndTest.diarization.rttm import read_rttm

    durations = {k: float(v) for k, v in read_kv(args.reco2dur).items()}
    ref = read_reference(args.ref_rttm, list(durations))
    hyp = read_rttm(args.hyp_rttm)
    per, overall = score_recordings(ref, hyp, durations, args.collar, args.skip_overlap)
    overlap = "skipped" if args.skip_overlap else "scored"
    with atomic_write(args.results) as f:
        f.write(f"# Diarization results\n\n{args.describe}\n\n")
        f.write(f"DER with collar {args.collar} s (in total, around each reference boundary), "
                f"overlap {overlap}; percent of the scored reference speech.\n\n")
        f.write("\n".join(results_table(per, overall)) + "\n")
    der, miss, fa, conf = overall.percents()
    print(f"diarize score: DER {der:.2f}% (miss {miss:.2f}, false alarm {fa:.2f}, "
          f"confusion {conf:.2f}) over {len(per)} recordings -> {args.results}")


def cmd_plot(args) -> None:
    from TrainAndTest.diarization.plot import plot_recording
    from TrainAndTest.diarization.recipe import read_reference
    from TrainAndTest.diarization.rttm import read_rttm

    durations = {k: float(v) for k, v in read_kv(args.reco2dur).items()}
    ref = read_reference(args.ref_rttm, list(durations)) if args.ref_rttm else None
    hyp = read_rttm(args.hyp_rttm)
    for reco, dur in durations.items():
        plot_recording(Path(args.out_dir) / f"{reco}.png", reco,
                       None if ref is None else ref[reco], hyp.get(reco, []), dur)
    print(f"diarize plot: {len(durations)} PNGs -> {args.out_dir}")


def _add_silero_options(p: argparse.ArgumentParser) -> None:
    from TrainAndTest.diarization.sad import SILERO_DEFAULTS as DEFAULTS

    p.add_argument("--silero-threshold", type=float, default=DEFAULTS.threshold,
                   help=f"speech probability threshold (default {DEFAULTS.threshold})")
    p.add_argument("--silero-pad", type=float, default=DEFAULTS.pad,
                   help=f"seconds added on each side of a region (default {DEFAULTS.pad})")
    p.add_argument("--silero-min-silence", type=float, default=DEFAULTS.min_silence,
                   help=f"shortest pause that ends a region, s (default {DEFAULTS.min_silence})")
    p.add_argument("--silero-min-speech", type=float, default=DEFAULTS.min_speech,
                   help=f"shortest region kept, s (default {DEFAULTS.min_speech})")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser with its subcommands."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.diarize",
                                description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sad", help="speech activity -> segments, reco2dur")
    s.add_argument("--method", required=True, choices=["energy", "silero", "oracle"])
    s.add_argument("--wav-scp", required=True)
    s.add_argument("--sad-rttm", help="reference rttm (--method oracle)")
    s.add_argument("--mfcc-config", help="MFCC options of the energy SAD (conf/mfcc_30.conf)")
    s.add_argument("--vad-config", help="compute-vad options of the energy SAD (conf/vad.conf)")
    s.add_argument("--segments", required=True)
    s.add_argument("--reco2dur", required=True)
    _add_silero_options(s)
    s.set_defaults(run=cmd_sad)
    ts = sub.add_parser("tune-sad", help="silero-vad options with the lowest miss + false "
                        "alarm on a development set")
    ts.add_argument("--wav-scp", required=True)
    ts.add_argument("--ref-rttm", required=True)
    ts.add_argument("--thresholds", default="0.2,0.3,0.4,0.5")
    ts.add_argument("--pads", default="0.03,0.1,0.2,0.3,0.4,0.5", help="seconds")
    ts.add_argument("--min-silences", default="0.1,0.3", help="seconds")
    ts.add_argument("--min-speeches", default="0.25", help="seconds")
    ts.add_argument("--collar", type=float, default=0.25)
    ts.add_argument("--out", required=True, help="file for the best options (as "
                    "'diarize sad' options)")
    ts.add_argument("--table", help="markdown table of the grid")
    ts.set_defaults(run=cmd_tune_sad)
    e = sub.add_parser("embed", help="sliding-window embeddings")
    e.add_argument("--model", required=True, help="exp dir or final.pt")
    for name in ("--wav-scp", "--segments", "--reco2dur", "--out-dir"):
        e.add_argument(name, required=True)
    e.add_argument("--window", type=float, default=1.5)
    e.add_argument("--shift", type=float, default=0.75)
    e.add_argument("--batch-size", type=int, default=32)
    e.add_argument("--device", default="cpu")
    e.add_argument("--num-threads", type=int, default=0, help="torch threads (0: default)")
    e.set_defaults(run=cmd_embed)
    for name, fn in (("cluster", cmd_cluster), ("tune", cmd_tune)):
        c = sub.add_parser(name)
        for opt in ("--segments", "--reco2dur", "--emb-dir"):
            c.add_argument(opt, required=True)
        c.add_argument("--method", default="ahc", choices=["ahc", "spectral", "umap_hdbscan"])
        if name == "cluster":
            c.add_argument("--threshold", type=float, default=0.3)
            c.add_argument("--reco2num-spk", help="oracle speaker counts")
            c.add_argument("--overlap-ratio", type=float, default=None,
                           help="second speaker of a frame with at least this share of "
                           "the winner's vote (default: none)")
            c.add_argument("--rttm", required=True)
        else:
            c.add_argument("--ref-rttm", required=True)
            c.add_argument("--thresholds", default="0.0:0.8:0.05")
            c.add_argument("--collar", type=float, default=0.25)
            c.add_argument("--skip-overlap", action="store_true")
            c.add_argument("--out", required=True, help="file for the best threshold")
            c.add_argument("--table", help="markdown table of the sweep")
        c.set_defaults(run=fn)
    sc = sub.add_parser("score", help="DER table")
    for opt in ("--ref-rttm", "--hyp-rttm", "--reco2dur", "--results"):
        sc.add_argument(opt, required=True)
    sc.add_argument("--collar", type=float, default=0.25)
    sc.add_argument("--skip-overlap", action="store_true")
    sc.add_argument("--describe", default="", help="text put above the table")
    sc.set_defaults(run=cmd_score)
    pl = sub.add_parser("plot", help="PNG per recording")
    for opt in ("--hyp-rttm", "--reco2dur", "--out-dir"):
        pl.add_argument(opt, required=True)
    pl.add_argument("--ref-rttm")
    pl.set_defaults(run=cmd_plot)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Run one subcommand; 1 with a one-line error on bad input."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, KeyError, OSError, RuntimeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"diarize {args.command}: {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
