"""Read-ahead thread: order kept, errors raised where they happened, early close stops it."""

import threading

import pytest

from TrainAndTest.io.prefetch import prefetched


def test_items_in_order():
    assert list(prefetched(iter(range(1000)), depth=3)) == list(range(1000))


def test_error_raised_after_the_items_before_it():
    def items():
        yield from range(5)
        raise ValueError("trials:6: bad label")

    got = []
    with pytest.raises(ValueError, match="trials:6"):
        for x in prefetched(items()):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]


def test_early_close_stops_the_producer():
    produced = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    it = prefetched(items(), depth=2)
    assert next(it) == 0
    it.close()
    assert not any(t.name == "prefetch" for t in threading.enumerate())
    assert len(produced) < 10


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        next(prefetched(iter([1]), depth=0))
