"""End a command-line tool that used pyarrow without the C++ teardown at interpreter exit.

pyarrow's thread pools are C++ statics. When a process ends right after Arrow work (a CSV
parse, a compute kernel), their destruction can meet a worker thread that has not wound
down yet, and libstdc++ aborts the finished process: ``terminate called without an
active exception``, exit status 134, after every output was written. It is intermittent
and depends on load (apache/arrow issues 34314 and 39862); in this project's CI it hit
``compute_metrics`` in the recipe tests. The tools that read trial and score files
therefore end through :func:`run_and_exit`: the work is done and its files are closed
and renamed inside ``main``; then the standard streams and logging are flushed and the
process ends with ``os._exit``, which runs no static destructors.

Example:
    >>> import subprocess, sys
    >>> code = ("from TrainAndTest.bin.process_exit import run_and_exit\\n"
    ...         "run_and_exit(lambda: print('done') or 3)")
    >>> p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    >>> p.returncode, p.stdout
    (3, 'done\\n')
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable, NoReturn, Optional


def exit_code(code: object) -> int:
    """The process status for ``sys.exit(code)``: None is 0, an int itself, else 1
    (a message, which :func:`run_and_exit` prints to stderr like ``sys.exit`` does)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def run_and_exit(main: Callable[[], Optional[int]]) -> NoReturn:
    """Run ``main()``; end the process with its return value (or the code of the
    ``SystemExit`` it raised, e.g. argparse's 2) without interpreter teardown.

    Any other exception propagates as usual (traceback, status 1). Before ``main`` runs,
    numpy's huge-page advice is turned off for the process (see
    :mod:`TrainAndTest.bin.page_advice`; these tools stream through fresh memory).
    """
    from TrainAndTest.bin.page_advice import no_numpy_hugepages

    no_numpy_hugepages()
    try:
        code: object = main()
    except SystemExit as e:
        code = e.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
    status = exit_code(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what was left is lost
            status = status or 1
    os._exit(status)
