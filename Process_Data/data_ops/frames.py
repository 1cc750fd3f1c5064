"""Frame counts: ``utt2num_frames`` from ``feats.scp`` (matrix headers only) or from
durations, as Kaldi's feature extraction would count them (``--snip-edges=true``).

Example:
    >>> num_frames_from_duration(19.89)
    1987
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Dict, Optional

from Process_Data.data_dir import (
    DataDirError,
    PathLike,
    write_kv,
)
from Process_Data.data_ops.durations import compute_utt2dur, read_frame_shift
from Process_Data.data_ops.staging import load_valid
from Process_Data.kaldi_table import feats_num_frames


def num_frames_from_duration(
    duration: float, frame_shift: float = 0.01, frame_length: float = 0.025
) -> int:
    """Frames Kaldi's feature extraction gives for ``duration`` seconds (``--snip-edges=true``).

    ``1 + (samples - window) // shift``, computed on a 16 kHz grid so that decimal durations
    such as 19.89 s come out exact; 0 when shorter than one window.

    Example:
        >>> num_frames_from_duration(6.95), num_frames_from_duration(0.02)
        (693, 0)
    """
    rate = 16000
    n = round(duration * rate)
    window = round(frame_length * rate)
    shift = round(frame_shift * rate)
    if shift <= 0 or window <= 0:
        raise DataDirError(f"frame shift/length must be > 0, got {frame_shift}/{frame_length}")
    return 0 if n < window else 1 + (n - window) // shift


def compute_utt2num_frames(
    data: PathLike,
    frame_shift: Optional[float] = None,
    frame_length: float = 0.025,
    nj: int = 1,
) -> Dict[str, int]:
    """Write ``<data>/utt2num_frames``: from feats.scp when present, else from utt2dur.

    utt2dur is computed first when it is missing. Frame counts from durations follow
    :func:`num_frames_from_duration`, with the frame shift from ``frame_shift``,
    ``<data>/frame_shift`` or 0.01 s.

    Returns:
        utt -> frames.
    """
    data = Path(data)
    dd = load_valid(data)
    if "feats.scp" in dd.tables:
        frames = feats_num_frames(data / "feats.scp")
    else:
        shift = read_frame_shift(data, frame_shift)
        if "utt2dur" in dd.tables:
            utt2dur = {u: float(v) for u, v in dd.tables["utt2dur"].items()}
        else:
            utt2dur = compute_utt2dur(data, nj=nj)
        frames = OrderedDict(
            (u, num_frames_from_duration(d, shift, frame_length)) for u, d in utt2dur.items()
        )
    write_kv(data / "utt2num_frames", {u: str(n) for u, n in frames.items()})
    return frames

