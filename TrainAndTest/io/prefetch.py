"""Read ahead: the next blocks of an iterator are produced in a background thread.

Parsing a block (Arrow's CSV reader and compute kernels release the GIL) then overlaps
with scoring and writing the previous one, which uses the second core of a 2-core
machine. Items come out in order; an exception in the producer is raised in the consumer
at the item where it happened; closing the consumer early stops the producer.

Example:
    >>> list(prefetched(iter(range(5)), depth=2))
    [0, 1, 2, 3, 4]
    >>> def bad():
    ...     yield 1
    ...     raise ValueError("line 2")
    >>> it = prefetched(bad())
    >>> next(it)
    1
    >>> next(it)
    Traceback (most recent call last):
    ...
    ValueError: line 2
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

_END = object()


def _put(q: queue.Queue, stop: threading.Event, item) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _produce(items: Iterator, q: queue.Queue, stop: threading.Event) -> None:
    try:
        for item in items:
            if not _put(q, stop, (item, None)):
                return
    except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised there
        _put(q, stop, (None, e))
        return
    _put(q, stop, (_END, None))


class Prefetched(Iterator[T]):
    """An iterator over the items of ``items`` whose producer thread starts at once (so
    reading can overlap whatever the caller does before its first ``next``).

    ``close()`` (also at garbage collection) stops the producer and joins it.
    """

    def __init__(self, items: Iterable[T], depth: int = 1):
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        # The thread holds the queue and the event, not this object, so an abandoned
        # iterator is still collected and its __del__ stops the thread.
        self._worker = threading.Thread(target=_produce, name="prefetch", daemon=True,
                                        args=(iter(items), self._queue, self._stop))
        self._worker.start()

    def __iter__(self) -> Prefetched[T]:
        return self

    def __next__(self) -> T:
        while True:
            if self._done:
                raise StopIteration  # ended, or closed (then also while waiting below)
            try:
                item, error = self._queue.get(timeout=0.1)
                break
            except queue.Empty:
                continue
        if error is not None:
            self.close()
            raise error
        if item is _END:
            self.close()
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the producer (it ends at its next item) and wait for it."""
        self._done = True
        self._stop.set()
        if self._worker.is_alive() and self._worker is not threading.current_thread():
            self._worker.join()

    def __del__(self) -> None:
        if getattr(self, "_worker", None) is not None:  # not when __init__ raised
            self.close()


def prefetched(items: Iterable[T], depth: int = 1) -> Prefetched[T]:
    """The items of ``items``, produced up to ``depth`` ahead in a daemon thread that
    starts now (see :class:`Prefetched`).

    Memory is ``depth + 1`` items more than iterating directly.
    """
    return Prefetched(items, depth)
