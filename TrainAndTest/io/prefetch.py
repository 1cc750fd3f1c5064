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


def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """The items of ``items``, produced up to ``depth`` ahead in a daemon thread.

    Memory is ``depth + 1`` items more than iterating directly.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised there
            put((None, e))
            return
        put((_END, None))

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = q.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        worker.join()
