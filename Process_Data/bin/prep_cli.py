"""The command line shared by the augmentation-corpus preparations (MUSAN, RIRS_NOISES).

``<root> <out_dir> [--prefix P] [--num-threads N] [corpus options]``: each entry point names
its preparation function and its own options; the parsed values go to the function as
keyword arguments (``--use-vocals`` -> ``use_vocals``), and errors are one line with exit
status 1 (``Process_Data.corpora.common.run_main``).
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple


def prep_main(
    argv: Optional[List[str]],
    prog: str,
    doc: str,
    prepare: Callable[..., Any],
    root_help: str,
    prefix: str,
    options: Sequence[Tuple[str, Dict[str, Any]]] = (),
) -> int:
    """Parse ``argv`` and call ``prepare(root, out_dir, prefix=..., num_threads=..., **options)``.

    Args:
        argv: the arguments (None: ``sys.argv[1:]``).
        prog: program name in messages.
        doc: the entry point's docstring (its first line is the description).
        prepare: the preparation function.
        root_help: help of the corpus-root argument.
        prefix: default data dir name prefix.
        options: ``(flag, argparse keyword arguments)`` of the corpus's own options.

    Returns:
        The exit status.
    """
    from Process_Data.corpora.common import run_main

    p = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    p.add_argument("root", help=root_help)
    p.add_argument("out_dir", help="parent of the data dirs")
    p.add_argument("--prefix", default=prefix, help="data dir name prefix")
    p.add_argument("--num-threads", type=int, default=8, help="threads for audio checks")
    for flag, kwargs in options:
        p.add_argument(flag, **kwargs)
    a = vars(p.parse_args(argv))
    return run_main(prog, prepare, a.pop("root"), a.pop("out_dir"), **a)
