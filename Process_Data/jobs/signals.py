"""Turning SIGINT/SIGTERM into an exception, so a backend can kill or cancel its jobs.

Example:
    >>> with raise_on_signals():
    ...     pass  # a Ctrl-C in here raises InterruptError(signal.SIGINT)
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator, List

HANDLED = (signal.SIGINT, signal.SIGTERM)


class InterruptError(Exception):
    """The parent got SIGINT or SIGTERM; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


def _raise(signum, _frame):
    raise InterruptError(signum)


@contextmanager
def raise_on_signals() -> Iterator[None]:
    """Inside the block SIGINT/SIGTERM raise :class:`InterruptError` (main thread only).

    The previous handlers are restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {signum: signal.signal(signum, _raise) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def ignore_signals() -> None:
    """Ignore SIGINT/SIGTERM (during cleanup, so a second Ctrl-C cannot stop it)."""
    if threading.current_thread() is threading.main_thread():
        for signum in HANDLED:
            signal.signal(signum, signal.SIG_IGN)



@contextmanager
def recorded_signals() -> Iterator[List[int]]:
    """Inside the block SIGINT/SIGTERM are only recorded into the yielded list.

    For loops that start child processes: nothing is raised between starting a child and
    recording it, and the children keep the normal signal mask. The loop checks the list.
    Main thread only (elsewhere the list stays empty).
    """
    got: List[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return
    saved = {signum: signal.signal(signum, lambda n, _f: got.append(n)) for signum in HANDLED}
    try:
        yield got
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
