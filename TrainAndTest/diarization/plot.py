"""A picture of one recording: reference and hypothesis speaker tracks on one time axis.

The reference speakers are the upper rows (one per speaker, grey), the hypothesis speakers
the lower rows (one colour each), so a missed turn, a false alarm and a speaker change
the system got wrong line up vertically.

Example:
    >>> import tempfile, os
    >>> from TrainAndTest.diarization.rttm import Turn
    >>> p = os.path.join(tempfile.mkdtemp(), "r.png")
    >>> plot_recording(p, "r", [Turn(0, 2, "A")], [Turn(0, 1, "s0"), Turn(1, 2, "s1")], 2.0)
    >>> open(p, "rb").read(4) == b"\\x89PNG"
    True
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from TrainAndTest.diarization.rttm import Turn


def plot_recording(path: os.PathLike, reco: str, ref: Optional[Sequence[Turn]],
                   hyp: Sequence[Turn], duration: float, title: str = "") -> None:
    """Write the PNG of one recording to ``path`` (temporary name, then renamed).

    Args:
        ref: reference turns (None: no reference rows).
        hyp: hypothesis turns.
        duration: the recording's length in seconds (the time axis).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []  # (label, turns, colour or None for per-speaker colours)
    for spk in sorted({t.speaker for t in ref or []}):
        rows.append((f"ref {spk}", [t for t in ref if t.speaker == spk], "0.45"))
    hyp_spk = sorted({t.speaker for t in hyp})
    for i, spk in enumerate(hyp_spk):
        rows.append((f"hyp {spk}", [t for t in hyp if t.speaker == spk], f"C{i % 10}"))
    fig, ax = plt.subplots(figsize=(10, 0.9 + 0.35 * max(len(rows), 1)))
    for y, (_, turns, colour) in enumerate(reversed(rows)):
        ax.broken_barh([(t.start, t.end - t.start) for t in turns], (y + 0.1, 0.8),
                       facecolors=colour)
    ax.set_yticks([y + 0.5 for y in range(len(rows))])
    ax.set_yticklabels([r[0] for r in reversed(rows)], fontsize=8)
    ax.set_ylim(0, max(len(rows), 1))
    ax.set_xlim(0, max(duration, 1e-3))
    ax.set_xlabel("time (s)")
    if ref is not None and hyp_spk:
        ax.axhline(len(hyp_spk), color="k", linewidth=0.8)
    ax.set_title(title or reco, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
