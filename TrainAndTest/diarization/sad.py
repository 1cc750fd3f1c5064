"""Speech activity detection (SAD) of a recording: regions ``(start, end)`` in seconds.

Three sources, all giving sorted, non-overlapping regions cleaned by :func:`clean_regions`
(short gaps bridged, short bursts dropped):

* ``energy``: the recipe's own Kaldi energy VAD (:func:`Process_Data.features.vad.compute_vad`)
  on column 0 (C0) of MFCCs, with the options of ``conf/mfcc_30.conf`` and ``conf/vad.conf``
  (the shell scripts pass them; the library has no defaults of its own for them);
* ``silero``: silero-vad (``pip install silero-vad``; its weights ship inside the package):
  speech probabilities every 32 ms (:func:`silero_probabilities`), turned into regions by
  silero's own hysteresis with :class:`SileroOptions` (:func:`silero_regions`); the
  defaults were chosen on diar_mini's development part (:func:`sad_error`, see
  :data:`SILERO_DEFAULTS`);
* ``oracle``: the union of the reference turns (``--sad-rttm``).

Example:
    >>> frames_to_regions([0, 1, 1, 0, 1], frame_shift=0.5)
    [(0.5, 1.5), (2.0, 2.5)]
    >>> clean_regions([(0.0, 1.0), (1.1, 2.0), (3.0, 3.05)], min_gap=0.2, min_speech=0.1)
    [(0.0, 2.0)]
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import List, Mapping, Sequence

import numpy as np

from Process_Data.features.frontend import Frontend
from TrainAndTest.diarization.der import ZERO, DerResult, diarization_error
from TrainAndTest.diarization.rttm import Region, Turn, speech_regions

#: the SAD methods of :func:`detect_speech` (``oracle`` needs reference turns).
SAD_METHODS = ("energy", "silero", "oracle")
#: gaps shorter than this (seconds) inside speech are bridged.
MIN_GAP = 0.25
#: speech regions shorter than this (seconds) are dropped.
MIN_SPEECH = 0.1
#: silero-vad's rate and frame (its probabilities come one per 512 samples at 16 kHz).
SILERO_RATE = 16000
SILERO_FRAME = 512


@dataclass(frozen=True)
class SileroOptions:
    """How silero-vad's frame probabilities become speech regions (its
    ``get_speech_timestamps`` options, in seconds).

    Attributes:
        threshold: speech starts above this probability (and ends below it minus 0.15).
        pad: seconds added on each side of every region.
        min_silence: a pause must last this long to end a region.
        min_speech: shorter regions are dropped.
    """

    threshold: float = 0.3
    pad: float = 0.3
    min_silence: float = 0.3
    min_speech: float = 0.25

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise SadError(f"silero threshold {self.threshold}: must be in (0, 1)")
        for name in ("pad", "min_silence", "min_speech"):
            if getattr(self, name) < 0:
                raise SadError(f"silero {name} {getattr(self, name)}: must be >= 0")


#: the defaults, chosen on diar_mini's dev part (``diarize tune-sad``: the lowest missed
#: speech + false alarm at collar 0.25 over thresholds 0.2-0.5, pads 0.03-0.5 s and
#: minimum silences 0.1/0.3 s): 3.4% missed and 1.4% false alarm of the dev speech, where
#: silero's own defaults (threshold 0.5, pad 0.03 s, minimum silence 0.1 s) miss 14.2%.
SILERO_DEFAULTS = SileroOptions()


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


def silero_probabilities(wave: np.ndarray, rate: int) -> np.ndarray:
    """silero-vad's speech probability of every 512-sample frame of ``wave`` resampled to
    16 kHz (the last frame zero-padded; torch on the current threads), as
    ``get_speech_timestamps`` computes them."""
    import torch

    from Process_Data.audio import resample

    _, model = _silero_model()
    x = torch.from_numpy(np.ascontiguousarray(
        resample(np.asarray(wave, np.float32), rate, SILERO_RATE)))
    model.reset_states()
    probs = []
    with torch.inference_mode():
        for start in range(0, len(x), SILERO_FRAME):
            chunk = x[start:start + SILERO_FRAME]
            if len(chunk) < SILERO_FRAME:
                chunk = torch.nn.functional.pad(chunk, (0, SILERO_FRAME - len(chunk)))
            probs.append(float(model(chunk, SILERO_RATE)))
    model.reset_states()
    return np.asarray(probs, dtype=np.float32)


def silero_regions(probs: np.ndarray, duration: float,
                   options: SileroOptions = SILERO_DEFAULTS) -> List[Region]:
    """Speech regions of a recording of ``duration`` seconds from its
    :func:`silero_probabilities`, by silero's ``get_speech_timestamps_from_probs``."""
    package, _ = _silero_model()
    if not len(probs):
        return []
    stamps = package.get_speech_timestamps_from_probs(
        [float(p) for p in probs], threshold=options.threshold, sampling_rate=SILERO_RATE,
        min_speech_duration_ms=int(round(1000 * options.min_speech)),
        min_silence_duration_ms=int(round(1000 * options.min_silence)),
        speech_pad_ms=int(round(1000 * options.pad)),
        audio_length_samples=int(round(duration * SILERO_RATE)), return_seconds=False)
    return [(s["start"] / SILERO_RATE, min(s["end"] / SILERO_RATE, duration)) for s in stamps]


def silero_sad(wave: np.ndarray, rate: int,
               options: SileroOptions = SILERO_DEFAULTS) -> List[Region]:
    """silero-vad regions of ``wave`` (:func:`silero_probabilities` then
    :func:`silero_regions`)."""
    if len(wave) == 0:
        return []
    return silero_regions(silero_probabilities(wave, rate), len(wave) / rate, options)


def sad_error(ref: Mapping[str, Sequence[Turn]], regions: Mapping[str, Sequence[Region]],
              durations: Mapping[str, float], collar: float = 0.25) -> DerResult:
    """Speech/non-speech error of speech regions against reference turns: missed speech
    and false alarm against the reference speech (the union of its turns, so overlapped
    time counts once), with the DER's collar around every boundary of that speech; the
    confusion part is 0.

    Example:
        >>> ref = {"r": [Turn(0.0, 4.0, "a"), Turn(3.0, 6.0, "b")]}
        >>> e = sad_error(ref, {"r": [(1.0, 7.0)]}, {"r": 8.0}, collar=0.0)
        >>> e.total, e.miss, e.false_alarm, e.confusion
        (6.0, 1.0, 1.0, 0.0)
    """
    total = ZERO
    for reco, turns in ref.items():
        if reco not in durations:
            raise KeyError(f"no duration for recording '{reco}' (reco2dur)")
        speech = [Turn(s, e, "speech") for s, e in speech_regions(turns)]
        hyp = [Turn(s, e, "speech") for s, e in regions.get(reco, [])]
        total = total + diarization_error(speech, hyp, (0.0, durations[reco]), collar)
    return total
