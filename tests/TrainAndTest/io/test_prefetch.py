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


def test_reading_starts_before_the_first_next():
    started = threading.Event()

    def items():
        started.set()
        yield 1

    it = prefetched(items())
    assert started.wait(5)  # no next() yet
    assert list(it) == [1]


def test_closing_an_inner_reader_ends_an_outer_one_waiting_on_it():
    def slow():
        yield 0
        threading.Event().wait(0.3)
        yield 1

    inner = prefetched(slow())
    outer = prefetched(x * 10 for x in inner)
    assert next(outer) == 0
    inner.close()  # the outer producer may be waiting on inner: it must not hang
    outer.close()
    assert not any(t.name == "prefetch" for t in threading.enumerate())


def test_an_abandoned_reader_is_collected_and_stops():
    import gc

    it = prefetched(iter(range(10_000)), depth=1)
    assert next(it) == 0
    del it
    gc.collect()
    for _ in range(50):
        if not any(t.name == "prefetch" for t in threading.enumerate()):
            break
        threading.Event().wait(0.05)
    assert not any(t.name == "prefetch" for t in threading.enumerate())
