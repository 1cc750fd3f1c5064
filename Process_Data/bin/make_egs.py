"""Egs from a data dir's features: ``plan`` (ranges, info) or ``write`` (one archive).

Examples:
    python -m Process_Data.bin.make_egs plan --min-frames 200 --max-frames 400 data/train exp/egs
    python -m Process_Data.bin.make_egs write --format ark data/train exp/egs/temp/ranges.3 exp/egs/egs.3

``steps/make_egs.sh`` runs ``plan`` once and ``write`` as a job array; see
``Process_Data.egs.make_egs``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields


def _bool(v: str) -> bool:
    if v not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got '{v}'")
    return v == "true"


def arg_parser() -> argparse.ArgumentParser:
    """Parser with one ``--option`` per ``EgsOptions`` field."""
    from Process_Data.egs.make_egs import EgsOptions

    p = argparse.ArgumentParser(prog="python -m Process_Data.bin.make_egs",
                                description=__doc__.split("\n")[0])
    p.add_argument("action", choices=["plan", "write"])
    defaults = EgsOptions()
    for f in fields(EgsOptions):
        d = getattr(defaults, f.name)
        kind = _bool if isinstance(d, bool) else type(d)
        p.add_argument("--" + f.name.replace("_", "-"), type=kind, default=d)
    p.add_argument("args", nargs="+", help="plan: DATA EGS_DIR; write: DATA RANGES OUT_PREFIX")
    return p


def main(argv=None) -> int:
    """Run one action; errors name the file or option, exit code 1."""
    from Process_Data.data_dir import DataDirError
    from Process_Data.egs.make_egs import EgsError, EgsOptions, plan_egs, write_archive

    a = arg_parser().parse_args(argv)
    opts = EgsOptions(**{f.name: getattr(a, f.name) for f in fields(EgsOptions)})
    want = 2 if a.action == "plan" else 3
    if len(a.args) != want:
        print(f"make_egs {a.action}: expected {want} arguments, got {len(a.args)}", file=sys.stderr)
        return 1
    try:
        if a.action == "plan":
            stats = plan_egs(a.args[0], a.args[1], opts)
            print(" ".join(f"{k}={v}" for k, v in stats.items()))
        else:
            opts.check()
            n = write_archive(a.args[0], a.args[1], a.args[2], opts)
            print(f"wrote {n} egs to {a.args[2]}")
    except (EgsError, DataDirError) as e:
        print(f"make_egs: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
