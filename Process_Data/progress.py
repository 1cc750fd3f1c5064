"""Progress of long loops: a tqdm bar on a terminal, a periodic line in a job log.

One helper for every long per-item loop (features, augmentation, egs, training,
extraction, scoring). On a terminal it is tqdm's bar. When stderr is a file (a job log
written by ``run.pl``/``slurm.pl``) a bar of carriage returns would be unreadable, so the
same tqdm object writes one plain line every ``interval`` seconds (and a last one when the
loop ends) with the count, the rate and the time left::

    compute_feats: 120/500 utt (24%), 3.10 utt/s, elapsed 00:38, ETA 02:03

``SV_PROGRESS_INTERVAL`` (seconds, default 30) sets the log interval; ``SV_PROGRESS=0``
turns progress off. Output goes to stderr, so stdout stays data.

Example:
    >>> import io
    >>> log = io.StringIO()
    >>> total = 0
    >>> for x in progress(range(4), desc="demo", unit="utt", file=log, interval=0):
    ...     total += x
    >>> log.getvalue().splitlines()[-1].startswith("demo: 4/4 utt (100%)")
    True
    >>> with progress(total=3, desc="frames", file=log, interval=0) as bar:
    ...     _ = bar.update(3)
    >>> "frames: 3/3 it (100%)" in log.getvalue()
    True
"""

from __future__ import annotations

import os
import sys
from typing import IO, Iterable, Optional

from tqdm import tqdm

#: Line of a job log when the total is known, and when it is not (tqdm's format fields).
LINE_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} ({percentage:.0f}%), {rate_fmt}, elapsed {elapsed}, ETA {remaining}"
LINE_FORMAT_NO_TOTAL = "{desc}: {n_fmt} {unit}, {rate_fmt}, elapsed {elapsed}"


class _LineWriter:
    """A file for tqdm that turns each redraw (``\\r<text>``) into one line of ``stream``."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def write(self, text: str) -> int:
        text = text.replace("\r", "").replace("\x1b[A", "").strip()
        if text:
            self.stream.write(text + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress(
    iterable: Optional[Iterable] = None,
    total: Optional[float] = None,
    desc: str = "",
    unit: str = "it",
    interval: Optional[float] = None,
    file: Optional[IO[str]] = None,
    disable: Optional[bool] = None,
) -> tqdm:
    """A tqdm progress object: a bar on a terminal, a line every ``interval`` s otherwise.

    Args:
        iterable: what to wrap (``for x in progress(items): ...``); or None and call
            ``.update(n)`` (it is also a context manager).
        total: number of items (default ``len(iterable)`` when it has one); floats work
            for seconds of audio or hours.
        desc: what is counted, e.g. the program name.
        unit: the item's name (``utt``, ``batch``, ``trial``).
        interval: seconds between log lines when ``file`` is not a terminal (default
            ``$SV_PROGRESS_INTERVAL`` or 30); ignored on a terminal.
        file: where to write (default stderr).
        disable: no output at all (default: when ``$SV_PROGRESS`` is ``0``).

    Returns:
        the tqdm object (iterate it, or ``update``/``close`` it).
    """
    stream = sys.stderr if file is None else file
    if disable is None:
        disable = os.environ.get("SV_PROGRESS", "1") == "0"
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if _is_tty(stream):
        return tqdm(iterable, total=total, desc=desc, unit=unit, file=stream, disable=disable,
                    dynamic_ncols=True)
    if interval is None:
        interval = float(os.environ.get("SV_PROGRESS_INTERVAL", "30"))
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=_LineWriter(stream),
        disable=disable,
        mininterval=interval,
        maxinterval=max(interval, 1e-9),
        miniters=1,
        ascii=True,
        bar_format=LINE_FORMAT if total else LINE_FORMAT_NO_TOTAL,
    )
