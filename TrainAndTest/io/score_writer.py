"""Score files written block by block: ``enrol test score`` lines into a temporary name,
renamed when complete.

Example:
    >>> import os, tempfile, numpy as np, pyarrow as pa
    >>> p = os.path.join(tempfile.mkdtemp(), "scores")
    >>> with ScoreWriter(p) as w:
    ...     w.write(pa.array(["a"]), pa.array(["b"]), np.array([0.25]))
    >>> open(p).read()
    'a b 0.250000\\n'
"""

from __future__ import annotations

import os
import queue
import threading
from typing import List, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from TrainAndTest.io.trials import PathLike

_INT_DIGITS = 9  # |values| >= 1e9 are formatted by Python
_POW10 = 10 ** np.arange(1, _INT_DIGITS, dtype=np.int64)  # 10 .. 1e8


def _format_fixed6(values: np.ndarray, end: str = "") -> pa.Array:
    """``'%.6f' % v + end`` of every value, vectorised (exact; Python formats the rare edge
    cases).

    Each value is rounded once to an integer count of millionths; its characters are laid
    out in a fixed-width byte matrix (sign, 9 integer digits, point, 6 fraction digits,
    ``end``) and the used tail of each row becomes one string of the Arrow array (no
    per-value string kernels).
    """
    v = np.asarray(values, dtype=np.float64)
    mag = np.abs(v)
    scaled = mag * 1e6
    r = np.rint(scaled)
    # Near a half (within the rounding error of mag * 1e6), or too large: Python decides.
    hard = (np.abs(scaled - np.floor(scaled) - 0.5) < np.maximum(1e-6, scaled * 1e-15)) \
        | (mag >= 1e9)
    r[hard] = 0
    ip, fp = np.divmod(r.astype(np.int64), 1_000_000)
    tail = end.encode()
    point = 1 + _INT_DIGITS  # column of the decimal point; column 0 holds the sign
    width = point + 7 + len(tail)
    n = len(v)
    buf = np.empty((n, width), dtype=np.uint8)
    for col, part, count in ((point + 6, fp, 6), (point - 1, ip, _INT_DIGITS)):
        rest = part.astype(np.int32)
        for j in range(count):  # right to left
            q = rest // 10
            buf[:, col - j] = rest - q * 10 + 48
            rest = q
            if col < point and not rest.any():
                break  # columns left of the largest integer part are never used
    buf[:, point] = ord(".")
    if tail:
        buf[:, point + 7:] = np.frombuffer(tail, dtype=np.uint8)
    neg = np.signbit(v)
    start = point - 1 - np.searchsorted(_POW10, ip, side="right") - neg  # first used column
    buf[np.flatnonzero(neg), start[neg]] = ord("-")
    used = np.arange(width) >= start[:, None]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(width - start, out=offsets[1:])
    text = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf[used]))
    if hard.any():
        text = text.to_numpy(zero_copy_only=False).astype(object)
        for i in np.flatnonzero(hard):
            text[i] = f"{v[i]:.6f}{end}"
        text = pa.array(text, pa.string())
    return text


class ScoreWriter:
    """Write ``enrol test score`` lines block by block into ``path`` (temp name, renamed).

    Use as a context manager: the file appears under its name only when the block exits
    without an exception; otherwise the temporary file is removed.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "scores")
        >>> with ScoreWriter(p) as w:
        ...     w.write(pa.array(["a"]), pa.array(["b"]), np.array([-0.5]))
        >>> open(p).read()
        'a b -0.500000\\n'
    """

    def __init__(self, path: PathLike):
        self.path = os.fspath(path)
        self.tmp = f"{self.path}.tmp{os.getpid()}"
        self.count = 0
        self._f = None
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: Optional[BaseException] = None
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> ScoreWriter:
        self._f = open(self.tmp, "wb")
        # Formatting and writing run in a thread (Arrow's kernels and file writes release
        # the GIL), overlapping the scoring of the next block.
        self._thread = threading.Thread(target=self._drain, name="score-writer", daemon=True)
        self._thread.start()
        return self

    def write(self, enrol, test, scores: np.ndarray) -> None:
        """Append one line per score; ids are Arrow arrays or lists of str.

        Raises:
            ValueError: a NaN or infinite score, naming its trial.
            OSError: a failed write of an earlier block.
        """
        scores = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(scores)):
            bad = int(np.flatnonzero(~np.isfinite(scores))[0])
            e = enrol[bad].as_py() if isinstance(enrol, pa.Array) else enrol[bad]
            t = test[bad].as_py() if isinstance(test, pa.Array) else test[bad]
            raise ValueError(f"{self.path}: score of trial {e} {t} is {scores[bad]}")
        if self._error is not None:
            raise self._error
        if not len(scores):
            return
        enrol = enrol if isinstance(enrol, pa.Array) else pa.array(enrol, pa.string())
        test = test if isinstance(test, pa.Array) else pa.array(test, pa.string())
        self._queue.put((enrol, test, scores))
        self.count += len(scores)

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # keep taking blocks so that write() never waits forever
            enrol, test, scores = item
            try:
                lines = pc.binary_join_element_wise(enrol, test, _format_fixed6(scores, "\n"),
                                                    " ")
                for view in _string_bytes(lines):
                    self._f.write(view)
            except BaseException as e:  # noqa: BLE001 - raised in the writing thread
                self._error = e

    def __exit__(self, exc_type, exc, tb) -> None:
        self._queue.put(None)
        self._thread.join()
        self._f.close()
        if exc_type is None and self._error is None:
            os.replace(self.tmp, self.path)
            return
        try:
            os.remove(self.tmp)
        except OSError:
            pass
        if exc_type is None:
            raise self._error


def _string_bytes(arr) -> List[memoryview]:
    """The concatenated UTF-8 bytes of a string array, as views (no copy per element)."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    out = []
    for a in chunks:
        if not len(a):
            continue
        off_t = np.int64 if a.type == pa.large_string() else np.int32
        offsets = np.frombuffer(a.buffers()[1], dtype=off_t)[a.offset:a.offset + len(a) + 1]
        out.append(memoryview(a.buffers()[2])[int(offsets[0]):int(offsets[-1])])
    return out
