"""Data-dir operations behind ``utils/*.sh``: ``python -m Process_Data.bin.data_dir_tool <op>``.

Usage:
    python -m Process_Data.bin.data_dir_tool validate [--no-feats] [--no-wav] [--no-text] <data>
    python -m Process_Data.bin.data_dir_tool fix <data>
    python -m Process_Data.bin.data_dir_tool split [--per-utt] <data> <nj>
    python -m Process_Data.bin.data_dir_tool subset (--utt-list f | --spk-list f | --first N |
        --last N | --shortest N | --per-spk N | --speakers N | --random N) [--seed S] <src> <dest>
    python -m Process_Data.bin.data_dir_tool combine [--extra-files "a b"] <dest> <src>...
    python -m Process_Data.bin.data_dir_tool copy [--utt-prefix p] [--spk-prefix p]
        [--utt-suffix s] [--spk-suffix s] <src> <dest>
    python -m Process_Data.bin.data_dir_tool utt2dur [--nj N] <data>
    python -m Process_Data.bin.data_dir_tool reco2dur [--nj N] <data>
    python -m Process_Data.bin.data_dir_tool num-frames [--frame-shift s] [--frame-length s]
        [--nj N] <data>
    python -m Process_Data.bin.data_dir_tool perturb-speed <factor> <src> <dest>

Messages go to stderr; errors name the file and line and exit with status 1.

Example:
    python -m Process_Data.bin.data_dir_tool split --per-utt data/train 8
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

PROG = "python -m Process_Data.bin.data_dir_tool"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per operation."""
    p = argparse.ArgumentParser(prog=PROG, description="Kaldi data-dir operations")
    sub = p.add_subparsers(dest="op", required=True)

    v = sub.add_parser("validate", help="check a data dir (utils/validate_data_dir.sh)")
    v.add_argument("--no-feats", action="store_true")
    v.add_argument("--no-wav", action="store_true")
    v.add_argument("--no-text", action="store_true")
    v.add_argument("data")

    f = sub.add_parser("fix", help="keep consistent utterances (utils/fix_data_dir.sh)")
    f.add_argument("data")

    s = sub.add_parser("split", help="split<nj>/{1..nj} (utils/split_data.sh)")
    s.add_argument("--per-utt", action="store_true")
    s.add_argument("data")
    s.add_argument("nj", type=int)

    b = sub.add_parser("subset", help="a subset of a data dir (utils/subset_data_dir.sh)")
    b.add_argument("--utt-list")
    b.add_argument("--spk-list")
    for name in ("first", "last", "shortest", "per-spk", "speakers", "random"):
        b.add_argument(f"--{name}", type=int)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("src")
    b.add_argument("dest")

    c = sub.add_parser("combine", help="union of data dirs (utils/combine_data.sh)")
    c.add_argument("--extra-files", default="")
    c.add_argument("dest")
    c.add_argument("srcs", nargs="+")

    y = sub.add_parser("copy", help="copy renaming ids (utils/copy_data_dir.sh)")
    for name in ("utt-prefix", "spk-prefix", "utt-suffix", "spk-suffix"):
        y.add_argument(f"--{name}", default="")
    y.add_argument("src")
    y.add_argument("dest")

    for name in ("utt2dur", "reco2dur"):
        d = sub.add_parser(name, help=f"write <data>/{name}")
        d.add_argument("--nj", type=int, default=4)
        d.add_argument("data")

    n = sub.add_parser("num-frames", help="write <data>/utt2num_frames, print the total")
    n.add_argument("--frame-shift", type=float, default=None)
    n.add_argument("--frame-length", type=float, default=0.025)
    n.add_argument("--nj", type=int, default=4)
    n.add_argument("data")

    sp = sub.add_parser("perturb-speed", help="speed-perturbed copy (perturb_data_dir_speed.sh)")
    sp.add_argument("factor")
    sp.add_argument("src")
    sp.add_argument("dest")
    return p


def _pick(args: argparse.Namespace, *names: str) -> Dict[str, Any]:
    """The parsed options ``names`` as keyword arguments."""
    return {name: getattr(args, name) for name in names}


def run(args: argparse.Namespace) -> int:
    """Carry out one parsed operation; returns the exit status."""
    from Process_Data.data_dir import fix_data_dir, validate_data_dir
    from Process_Data.data_ops import combine, durations, frames, rename, speed, split, subset
    from Process_Data.data_ops.staging import load_valid

    if args.op == "validate":
        validate_data_dir(
            args.data, no_feats=args.no_feats, no_wav=args.no_wav, no_text=True
        )
        print(f"Successfully validated data-directory {args.data}")
    elif args.op == "fix":
        counts = fix_data_dir(args.data)
        print(
            f"fix_data_dir.sh: kept {counts['after']} utterances out of {counts['before']}",
            file=sys.stderr,
        )
        load_valid(args.data)
    elif args.op == "split":
        sdir = Path(args.data) / f"split{args.nj}{'utt' if args.per_utt else ''}"
        if split.split_is_current(Path(args.data), sdir, args.nj):
            print(f"split_data.sh: {sdir} is up to date; skipping", file=sys.stderr)
        else:
            split.split_data_dir(args.data, args.nj, per_utt=args.per_utt, force=True)
            print(f"split_data.sh: {args.data} -> {sdir}/{{1..{args.nj}}}", file=sys.stderr)
    elif args.op == "subset":
        selection = _pick(args, "utt_list", "spk_list", "first", "last", "shortest", "per_spk",
                          "speakers", "seed")
        dd = subset.subset_data_dir(args.src, args.dest, random_n=args.random, **selection)
        print(
            f"subset_data_dir.sh: {len(dd.utt2spk)} utterances of {len(dd.speakers)} speakers "
            f"from {args.src} -> {args.dest}",
            file=sys.stderr,
        )
    elif args.op == "combine":
        dd, notes = combine.combine_data_dirs(
            args.dest, args.srcs, extra_files=args.extra_files.split()
        )
        for note in notes:
            print(f"combine_data.sh: {note}", file=sys.stderr)
        print(
            f"combine_data.sh: {len(dd.utt2spk)} utterances from {len(args.srcs)} dirs "
            f"-> {args.dest}",
            file=sys.stderr,
        )
    elif args.op == "copy":
        ids = _pick(args, "utt_prefix", "spk_prefix", "utt_suffix", "spk_suffix")
        dd = rename.copy_data_dir(args.src, args.dest, **ids)
        print(
            f"copy_data_dir.sh: copied {len(dd.utt2spk)} utterances {args.src} -> {args.dest}",
            file=sys.stderr,
        )
    elif args.op == "utt2dur":
        durs = durations.compute_utt2dur(args.data, nj=args.nj)
        print(
            f"get_utt2dur.sh: {len(durs)} utterances, {sum(durs.values()) / 3600:.3f} h "
            f"-> {args.data}/utt2dur",
            file=sys.stderr,
        )
    elif args.op == "reco2dur":
        durs = durations.compute_reco2dur(args.data, nj=args.nj)
        print(f"get_reco2dur.sh: {len(durs)} recordings -> {args.data}/reco2dur", file=sys.stderr)
    elif args.op == "num-frames":
        frames = frames.compute_utt2num_frames(
            args.data, frame_shift=args.frame_shift, frame_length=args.frame_length, nj=args.nj
        )
        print(sum(frames.values()))
    elif args.op == "perturb-speed":
        dd = speed.perturb_data_dir_speed(args.factor, args.src, args.dest)
        print(
            f"perturb_data_dir_speed.sh: {len(dd.utt2spk)} utterances at speed {args.factor} "
            f"-> {args.dest}",
            file=sys.stderr,
        )
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: parse, run, turn data-dir and audio errors into one line and status 1."""
    from Process_Data.audio import AudioError
    from Process_Data.data_dir import DataDirError

    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (DataDirError, AudioError, OSError) as e:
        print(f"ERROR ({args.op}): {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
