"""From window labels to speaker turns: overlapping windows vote on 10 ms frames.

Every speech frame takes the speaker with the largest vote among the windows that cover
it; a window's vote is a triangle, 1 at its centre falling to ``EDGE_WEIGHT`` at its edges,
so a frame covered by two disagreeing windows goes to the one whose centre is nearer
(ties are what plain counting gets wrong at every change). Runs of frames with one
speaker become turns; turns never cross the edges of speech regions. A speech frame that
no window covers (a region too short to embed) takes the speaker of the nearest window.

Overlap (optional, ``overlap_ratio``): a frame also gets the speaker with the second
largest vote when that vote is at least ``overlap_ratio`` times the largest, so the
frames around a change of label, where windows of both speakers overlap, hold both
speakers (in AMI meetings much of the overlapped speech sits at turn changes). The
RTTM then has overlapping turns of different speakers. ``None`` (the default) gives
one speaker per frame: on diar_mini's development part every ratio tried (0.5-0.9)
added more false alarm than it removed missed speech (docs/BENCHMARKS.md).

Detected overlap (optional, ``overlap_frames``, from :mod:`.overlap`'s detector): each
marked frame also gets the speaker with the second largest vote, or, where only one
speaker's windows cover the frame, the speaker of the nearest window (by centre) with
another label: in meetings an overlap mostly sits next to the other speaker's turn.

Example:
    >>> wins = np.array([[0.0, 1.5], [0.75, 2.25], [1.5, 3.0]])
    >>> frame_turns(wins, np.array([0, 0, 1]), [(0.0, 3.0)])
    [Turn(start=0.0, end=1.88, speaker='0'), Turn(start=1.88, end=3.0, speaker='1')]
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np

from TrainAndTest.diarization.rttm import Region, Turn, speech_regions

#: frame step of the vote, seconds.
FRAME = 0.01
#: vote of a window at its edges (1 at the centre).
EDGE_WEIGHT = 0.1


def frame_turns(windows: np.ndarray, labels: np.ndarray, regions: Sequence[Region],
                frame: float = FRAME, prefix: str = "",
                overlap_ratio: Optional[float] = None,
                overlap_frames: Optional[np.ndarray] = None) -> List[Turn]:
    """Turns (speaker ``f"{prefix}{label}"``) of the speech ``regions`` from window labels.

    Args:
        windows: ``[N, 2]`` window spans in seconds.
        labels: ``[N]`` integer speaker labels of the windows.
        regions: speech regions; only their time is labelled.
        frame: frame step in seconds.
        prefix: put before each label to make the speaker name.
        overlap_ratio: give a frame a second speaker whose vote is at least this share
            of the winner's (see the module docstring); None: one speaker per frame.
        overlap_frames: bool per frame (frame ``i`` is ``i * frame .. (i + 1) * frame``
            s; shorter arrays are padded with False): these frames also get the second
            speaker (see the module docstring); None: no detected overlap.

    Example (two windows of different speakers overlapping by 1 s):
        >>> wins = np.array([[0.0, 2.0], [1.0, 3.0]])
        >>> frame_turns(wins, np.array([0, 1]), [(0.0, 3.0)], overlap_ratio=0.5)
        [Turn(start=0.0, end=1.7, speaker='0'), Turn(start=1.3, end=3.0, speaker='1')]

    Example (detected overlap at 0.5-1.0 s, where only speaker 0's window is heard):
        >>> marked = np.zeros(300, bool); marked[50:100] = True
        >>> frame_turns(np.array([[0.0, 1.5], [1.5, 3.0]]), np.array([0, 1]), [(0.0, 3.0)],
        ...             overlap_frames=marked)
        [Turn(start=0.0, end=1.5, speaker='0'), Turn(start=0.5, end=1.0, speaker='1'), Turn(start=1.5, end=3.0, speaker='1')]
    """
    if overlap_ratio is not None and not 0.0 < overlap_ratio <= 1.0:
        raise ValueError(f"overlap_ratio {overlap_ratio}: must be in (0, 1]")
    windows = np.asarray(windows, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(labels, dtype=np.int64)
    if len(windows) != len(labels):
        raise ValueError(f"{len(windows)} windows but {len(labels)} labels")
    if not len(windows) or not regions:
        return []
    end = max(max(e for _, e in regions), float(windows[:, 1].max()))
    n_frames = int(np.ceil(end / frame)) + 1
    votes = np.zeros((n_frames, int(labels.max()) + 1))
    centres = (np.arange(n_frames) + 0.5) * frame
    for (ws, we), lab in zip(windows, labels):
        a, b = int(np.floor(ws / frame)), int(np.ceil(we / frame))
        half = max((we - ws) / 2, frame)
        dist = np.abs(centres[a:b] - (ws + we) / 2) / half
        votes[a:b, lab] += np.maximum(1.0 - (1.0 - EDGE_WEIGHT) * dist, EDGE_WEIGHT)
    best = votes.argmax(axis=1)
    uncovered = votes.max(axis=1) <= 0
    if uncovered.any():
        mids = windows.mean(axis=1)
        nearest = np.abs(centres[uncovered][:, None] - mids[None]).argmin(axis=1)
        best[uncovered] = labels[nearest]
    turns = _runs(best, np.ones(n_frames, dtype=bool), regions, frame, prefix)
    if (overlap_ratio is None and overlap_frames is None) or len(np.unique(labels)) < 2:
        return merge_turns(turns)
    rows = np.arange(n_frames)
    top = votes[rows, best]
    rest = votes.copy()
    rest[rows, best] = -np.inf
    second = rest.argmax(axis=1)
    heard = rest[rows, second] > 0
    both = np.zeros(n_frames, dtype=bool)
    if overlap_ratio is not None:
        both |= heard & (rest[rows, second] >= overlap_ratio * top)
    if overlap_frames is not None:
        marked = np.zeros(n_frames, dtype=bool)
        given = np.asarray(overlap_frames, dtype=bool)[:n_frames]
        marked[:len(given)] = given
        alone = np.flatnonzero(marked & ~heard)
        if len(alone):
            mids = windows.mean(axis=1)
            dist = np.abs(centres[alone][:, None] - mids[None])
            dist[labels[None] == best[alone][:, None]] = np.inf
            second[alone] = labels[dist.argmin(axis=1)]
        both |= marked
    by_speaker: Dict[str, List[Turn]] = {}
    for t in turns + _runs(second, both, regions, frame, prefix):
        by_speaker.setdefault(t.speaker, []).append(t)
    return sorted(Turn(s, e, spk) for spk, ts in by_speaker.items()
                  for s, e in speech_regions(ts))


def _runs(label: np.ndarray, keep: np.ndarray, regions: Sequence[Region], frame: float,
          prefix: str) -> List[Turn]:
    """Turns of the runs of equal ``label`` among the ``keep`` frames of each region;
    a run at a region's edge keeps the region's exact time."""
    turns: List[Turn] = []
    for start, stop in sorted(regions):
        a, b = int(round(start / frame)), max(int(round(stop / frame)), int(round(start / frame)) + 1)
        seg = np.where(keep[a:b], label[a:b], -1)
        if not len(seg):
            continue
        change = np.flatnonzero(np.diff(seg)) + 1
        cuts = [a] + (a + change).tolist() + [b]
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            if seg[lo - a] < 0:
                continue
            t0 = start if lo == a else round(lo * frame, 3)
            t1 = stop if hi == b else round(hi * frame, 3)
            turns.append(Turn(t0, t1, f"{prefix}{seg[lo - a]}"))
    return turns


def merge_turns(turns: Sequence[Turn], max_gap: float = 0.0) -> List[Turn]:
    """Consecutive turns of one speaker at most ``max_gap`` apart joined into one.

    Example:
        >>> merge_turns([Turn(0, 1, "a"), Turn(1, 2, "a"), Turn(2, 3, "b")])
        [Turn(start=0, end=2, speaker='a'), Turn(start=2, end=3, speaker='b')]
    """
    out: List[Turn] = []
    for t in sorted(turns):
        if out and out[-1].speaker == t.speaker and t.start - out[-1].end <= max_gap + 1e-9:
            out[-1] = Turn(out[-1].start, max(out[-1].end, t.end), t.speaker)
        else:
            out.append(t)
    return out
