"""Speech activity detection (SAD) of a recording: regions ``(start, end)`` in seconds.

Three sources, all giving sorted, non-overlapping regions cleaned by :func:`clean_regions`
(short gaps bridged, short bursts dropped):

* ``energy``: the recipe's own Kaldi energy VAD (:func:`Process_Data.features.vad.compute_vad`)
  on column 0 (C0) of MFCCs, with the options of ``conf/mfcc_30.conf`` and ``conf/vad.conf``
  (the shell scripts pass them; the library has no defaults of its own for them);
* ``silero``: silero-vad (``pip install silero-vad``; its weights ship inside the package);
* ``oracle``: the union of the reference turns (``--sad-rttm``).

Example:
    >>> frames_to_regions([0, 1, 1, 0, 1], frame_shift=0.5)
    [(0.5, 1.5), (2.0, 2.5)]
    >>> clean_regions([(0.0, 1.0), (1.1, 2.0), (3.0, 3.05)], min_gap=0.2, min_speech=0.1)
    [(0.0, 2.0)]
"""

from __future__ import annotations

import functools
from typing import List, Sequence

import numpy as np

from Process_Data.features.frontend import Frontend
from TrainAndTest.diarization.rttm import Region

#: the SAD methods of :func:`detect_speech` (``oracle`` needs reference turns).
SAD_METHODS = ("energy", "silero", "oracle")
#: gaps shorter than this (seconds) inside speech are bridged.
MIN_GAP = 0.25
#: speech regions shorter than this (seconds) are dropped.
MIN_SPEECH = 0.1


class SadError(ValueError):
    """A bad SAD method or a SAD that cannot run (names the option or the package)."""


def frames_to_regions(decisions: Sequence[float], frame_shift: float) -> List[Region]:
    """Runs of non-zero frame decisions as ``(start, end)`` seconds (frame ``i`` spans
    ``i * frame_shift .. (i + 1) * frame_shift``)."""
    d = np.concatenate([[0], (np.asarray(decisions) != 0).astype(np.int8), [0]])
    change = np.flatnonzero(np.diff(d))
    return [(float(a * frame_shift), float(b * frame_shift))
            for a, b in zip(change[::2], change[1::2])]


def clean_regions(regions: Sequence[Region], min_gap: float = MIN_GAP,
                  min_speech: float = MIN_SPEECH) -> List[Region]:
    """Sort, merge regions less than ``min_gap`` apart, then drop regions shorter than
    ``min_speech``."""
    merged: List[List[float]] = []
    for start, end in sorted(regions):
        if merged and start - merged[-1][1] < min_gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([float(start), float(end)])
    return [(s, e) for s, e in merged if e - s >= min_speech]


def energy_sad(wave: np.ndarray, rate: int, frontend: Frontend) -> List[Region]:
    """Kaldi energy-VAD regions of ``wave``; ``frontend`` holds the feature (with a C0 or
    energy column) and the ``compute-vad`` options.

    Raises:
        SadError: the front end's features have no energy column.
    """
    if not frontend.has_energy_column:
        raise SadError(f"energy SAD reads column 0 as log energy, which {frontend.feature} "
                       "features do not have (use mfcc)")
    if len(wave) == 0:
        return []
    feats = frontend.features(wave, rate)
    shift = frontend.options.frame.frame_shift / 1000.0
    return frames_to_regions(frontend.vad_of(feats), shift)


@functools.lru_cache(maxsize=1)
def _silero_model():
    try:
        import silero_vad
    except ImportError:
        raise SadError("--sad silero needs the silero-vad package (utils/setup_venv.sh "
                       "--with-diar, or pip install silero-vad); or use --sad energy") from None
    return silero_vad, silero_vad.load_silero_vad()


def silero_sad(wave: np.ndarray, rate: int, threshold: float = 0.5) -> List[Region]:
    """silero-vad regions of ``wave`` (resampled to 16 kHz; torch on the current threads)."""
    import torch

    from Process_Data.audio import resample

    package, model = _silero_model()
    if len(wave) == 0:
        return []
    x = torch.from_numpy(np.ascontiguousarray(resample(np.asarray(wave, np.float32), rate, 16000)))
    stamps = package.get_speech_timestamps(x, model, threshold=threshold, sampling_rate=16000,
                                           return_seconds=False)
    model.reset_states()
    return [(s["start"] / 16000.0, s["end"] / 16000.0) for s in stamps]
