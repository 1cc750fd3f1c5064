"""Choose the back-end on the validation split: ``python -m TrainAndTest.bin.select_backend``.

Usage:
    python -m TrainAndTest.bin.select_backend [--grid plda_adapt=domain_weight]...
        [--systems "cosine plda ..."] <VALIDATION.md> <out.yaml>
    python -m TrainAndTest.bin.select_backend --get <key> <out.yaml>
    python -m TrainAndTest.bin.select_backend --describe <out.yaml>

Reads the validation results table (see :mod:`TrainAndTest.metrics.selection` for the rule)
and writes the choices to ``<out.yaml>`` (temporary name, then rename): the chosen system,
each grid setting's chosen value, and the validation EER of every candidate, so that
RESULTS.md can name them. ``--get`` prints one value of such a file (for shell scripts; a
mapping, such as ``candidates``, prints its keys space-separated), ``--describe`` one line
naming every choice and its validation figures.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, choose and write (or print one value); returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m TrainAndTest.bin.select_backend",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("paths", nargs="+", help="<VALIDATION.md> <out.yaml>, or <out.yaml> with --get")
    p.add_argument("--grid", action="append", default=[], metavar="BASE=SETTING",
                   help="systems <BASE>_w<value> are one grid over SETTING (repeatable)")
    p.add_argument("--systems", default="", help="candidate systems, space-separated (default: all)")
    p.add_argument("--get", default="", help="print this key of an existing <out.yaml>")
    p.add_argument("--describe", action="store_true", help="print the choices of <out.yaml>")
    args = p.parse_args(argv)
    prog = "select_backend"
    import yaml

    if args.get or args.describe:
        if len(args.paths) != 1:
            p.error("--get and --describe take one path: the selection file")
        from TrainAndTest.metrics.selection import describe

        try:
            with open(args.paths[0], encoding="utf-8") as f:
                chosen = yaml.safe_load(f)
            if args.describe:
                print(describe(chosen))
            else:
                value = chosen[args.get]
                print(" ".join(map(str, value)) if isinstance(value, dict) else value)
        except (OSError, KeyError, TypeError) as e:
            what = "a selection" if args.describe else f"a value '{args.get}'"
            print(f"{prog}: ERROR: {args.paths[0]}: not {what} ({e})", file=sys.stderr)
            return 1
        return 0
    if len(args.paths) != 2:
        p.error("expected <VALIDATION.md> <out.yaml>")
    results, out = args.paths
    grids = {}
    for g in args.grid:
        base, eq, setting = g.partition("=")
        if not eq or not base or not setting:
            p.error(f"--grid: expected BASE=SETTING, got '{g}'")
        grids[base] = setting
    from TrainAndTest.metrics.results import read_rows
    from TrainAndTest.metrics.selection import choose

    try:
        chosen = choose(read_rows(results), grids, args.systems.split())
    except (OSError, ValueError, KeyError) as e:
        print(f"{prog}: ERROR: {results}: {e}", file=sys.stderr)
        return 1
    chosen["validation_results"] = results
    tmp = f"{out}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(chosen, f, sort_keys=False)
    os.replace(tmp, out)
    settings = ", ".join(f"{k} {v}" for k, v in chosen.items()
                         if k not in ("system", "criterion", "eer", "candidates", "runner_up",
                                      "validation_results") and not k.endswith("_candidates"))
    print(f"{prog}: chose {chosen['system']} (EER {chosen['eer']:.2f}% on {chosen['criterion']})"
          f"{'; ' + settings if settings else ''} -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
