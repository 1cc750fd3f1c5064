"""Fill ``${NAME}`` placeholders of a config template: ``python -m Process_Data.bin.fill_placeholders``.

Usage:
    python -m Process_Data.bin.fill_placeholders [--check-chain] <template> <out> NAME=value ...

Like ``envsubst``, but strict: every placeholder of the template must be given a value and
every given NAME must occur in the template, so a misspelt name is an error that names the
template, not a silently empty path. The result must be valid YAML; with
``--check-chain`` it must also build as an augmentation chain
(:class:`Process_Data.augment.chain.Chain`). The output is written atomically.

Example (shell):
    python -m Process_Data.bin.fill_placeholders --check-chain conf/augment_online.yaml \\
        exp/demo/augment.yaml RIRS_ROOT=/corpora/RIRS_NOISES MUSAN_DATA=data
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Dict, List, Mapping, Optional

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(text: str, values: Mapping[str, str], where: str = "template") -> str:
    """``text`` with every ``${NAME}`` replaced by ``values[NAME]``.

    Raises:
        ValueError: a placeholder without a value, or a value no placeholder uses.

    Example:
        >>> fill("path: ${ROOT}/x", {"ROOT": "/data"})
        'path: /data/x'
        >>> fill("path: ${ROOT}", {})
        Traceback (most recent call last):
        ...
        ValueError: template: placeholder ${ROOT} has no value (give ROOT=...)
    """
    used = set(_PLACEHOLDER.findall(text))
    missing = sorted(used - set(values))
    if missing:
        raise ValueError(f"{where}: placeholder ${{{missing[0]}}} has no value (give "
                         + " ".join(f"{m}=..." for m in missing) + ")")
    unused = sorted(set(values) - used)
    if unused:
        raise ValueError(f"{where}: no placeholder ${{{unused[0]}}} (placeholders: "
                         f"{', '.join(sorted(used)) or 'none'})")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def parse_assignments(items: List[str]) -> Dict[str, str]:
    """``["A=1", "B=x=y"]`` -> ``{"A": "1", "B": "x=y"}``; a word without ``=`` is an error."""
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not _PLACEHOLDER.fullmatch("${" + name + "}"):
            raise ValueError(f"'{item}' is not NAME=value")
        out[name] = value
    return out


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, fill the template and write it; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m Process_Data.bin.fill_placeholders",
                                description=__doc__.splitlines()[0])
    p.add_argument("template")
    p.add_argument("out")
    p.add_argument("values", nargs="*", metavar="NAME=value")
    p.add_argument("--check-chain", action="store_true",
                   help="the result must build as an augmentation chain")
    args = p.parse_args(argv)
    prog = "fill_placeholders"
    try:
        values = parse_assignments(args.values)
        with open(args.template, encoding="utf-8") as f:
            text = fill(f.read(), values, args.template)
        import yaml

        try:
            cfg = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ValueError(f"{args.template}: not valid YAML once filled: {e}") from None
        if args.check_chain:
            from Process_Data.augment.chain import AugmentationError, Chain

            try:
                Chain.from_config(cfg)
            except AugmentationError as e:
                raise ValueError(f"{args.template} (filled): {e}") from None
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp = f"{args.out}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.out)
    except (ValueError, OSError) as e:
        print(f"{prog}: ERROR: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
