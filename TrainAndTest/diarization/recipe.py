"""The diarization steps over a data dir of recordings, as ``local/run_diarization.sh``
runs them (through ``python -m TrainAndTest.bin.diarize``).

The data dir holds ``wav.scp`` (recording -> audio), optionally ``reco2num_spk`` (the
oracle speaker count) and a reference ``rttm``. The steps, each reading what the one
before wrote into the output dir:

1. :func:`detect_recordings` -> ``segments`` (Kaldi) and ``reco2dur``;
2. :func:`embed_recordings` -> ``embeddings/<reco>.npz`` (windows, embeddings);
3. :func:`diarize_recordings` -> ``rttm``;
4. scoring (:mod:`TrainAndTest.diarization.der`), threshold tuning
   (:func:`tune_threshold`) and pictures (:mod:`TrainAndTest.diarization.plot`).

Bad input: a recording named nowhere in ``wav.scp`` or whose audio cannot be read is an
error naming the file (or the recording and ``wav.scp``); a recording without speech gets
no turn and a warning; one shorter than one window is one window, hence one speaker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from Process_Data.audio import AudioError, read_audio
from Process_Data.data_dir import atomic_savez, read_kv
from Process_Data.features.frontend import Frontend
from Process_Data.kaldi_table import warn
from TrainAndTest.diarization.cluster import AHC_THRESHOLD, cluster_embeddings
from TrainAndTest.diarization.der import DerResult, score_recordings
from TrainAndTest.diarization.embed import SHIFT, WINDOW, window_embeddings
from TrainAndTest.diarization.reseg import frame_turns
from TrainAndTest.diarization.rttm import Region, Turn, read_rttm, speech_regions
from TrainAndTest.diarization.sad import (
    SAD_METHODS,
    SILERO_DEFAULTS,
    SadError,
    SileroOptions,
    clean_regions,
    energy_sad,
    sad_error,
    silero_probabilities,
    silero_regions,
    silero_sad,
)

Log = Callable[[str], None]


class RecipeError(ValueError):
    """Bad input of a diarization step; the message names the file, line or option."""


def read_audio_of(wav_scp: Mapping[str, str], reco: str, where: str = "wav.scp"
                  ) -> Tuple[np.ndarray, int]:
    """(samples, rate) of ``reco``; RecipeError naming ``where`` or the audio file."""
    if reco not in wav_scp:
        raise RecipeError(f"recording '{reco}' has no entry in {where}")
    try:
        return read_audio(wav_scp[reco])
    except AudioError as e:
        raise RecipeError(f"recording '{reco}' ({where}): {e}") from None


def read_num_speakers(path: Optional[os.PathLike]) -> Dict[str, int]:
    """``reco2num_spk`` as ints (empty when ``path`` is None); RecipeError naming the line."""
    if path is None:
        return {}
    out = {}
    for i, (reco, value) in enumerate(read_kv(path).items(), 1):
        if not value.isdigit() or int(value) < 1:
            raise RecipeError(f"{path}: entry {i} ('{reco}'): speaker count must be a "
                              f"positive integer, got {value!r}")
        out[reco] = int(value)
    return out


def detect_recordings(wav_scp: Mapping[str, str], method: str, recordings: Sequence[str],
                      sad_rttm: Optional[Mapping[str, Sequence[Turn]]] = None,
                      energy_frontend: Optional[Frontend] = None, log: Log = warn,
                      silero: SileroOptions = SILERO_DEFAULTS
                      ) -> Tuple[Dict[str, List[Region]], Dict[str, float]]:
    """Speech regions and durations of ``recordings`` (see :mod:`.sad` for ``method``;
    ``silero`` holds the options of ``--sad silero``).

    Raises:
        RecipeError / SadError: an unknown method, missing oracle turns or energy front end.
    """
    if method not in SAD_METHODS:
        raise SadError(f"unknown SAD method '{method}'; valid: {', '.join(SAD_METHODS)}")
    if method == "oracle" and sad_rttm is None:
        raise SadError("--sad oracle needs --sad-rttm (the reference rttm)")
    if method == "energy" and energy_frontend is None:
        raise SadError("--sad energy needs the MFCC and VAD option files")
    regions: Dict[str, List[Region]] = {}
    durations: Dict[str, float] = {}
    for reco in recordings:
        wave, rate = read_audio_of(wav_scp, reco)
        durations[reco] = len(wave) / rate
        if method == "oracle":
            found = speech_regions((sad_rttm or {}).get(reco, []))
        elif method == "silero":
            found = silero_sad(wave, rate, silero)
        else:
            found = energy_sad(wave, rate, energy_frontend)
        regions[reco] = clean_regions([(s, min(e, durations[reco])) for s, e in found
                                       if s < durations[reco]])
        if not regions[reco]:
            log(f"{reco}: no speech found by --sad {method}; it gets an empty RTTM")
    return regions, durations


def tune_silero(wav_scp: Mapping[str, str], ref: Mapping[str, Sequence[Turn]],
                grid: Sequence[SileroOptions], collar: float = 0.25
                ) -> Tuple[SileroOptions, List[Tuple[SileroOptions, DerResult]]]:
    """The silero-vad options of ``grid`` with the lowest missed speech + false alarm
    (:func:`.sad.sad_error`) on the recordings of ``ref`` (a development set), and the
    error of each (the first of equal errors wins). silero runs once per recording;
    regions are cleaned as in :func:`detect_recordings`."""
    if not grid:
        raise RecipeError("no silero options to try")
    probs, durations = {}, {}
    for reco in ref:
        wave, rate = read_audio_of(wav_scp, reco)
        durations[reco] = len(wave) / rate
        probs[reco] = silero_probabilities(wave, rate) if len(wave) else np.zeros(0)
    rows = []
    for options in grid:
        regions = {reco: clean_regions(silero_regions(probs[reco], durations[reco], options))
                   for reco in ref}
        rows.append((options, sad_error(ref, regions, durations, collar)))
    best = min(rows, key=lambda r: r[1].miss + r[1].false_alarm)[0]
    return best, rows


def embed_recordings(wav_scp: Mapping[str, str], regions: Mapping[str, Sequence[Region]],
                     encoder, out_dir: os.PathLike, window: float = WINDOW,
                     shift: float = SHIFT, batch_size: int = 32) -> int:
    """Write ``<out_dir>/<reco>.npz`` (``windows [N, 2]``, ``embeddings [N, dim]``) for
    every recording of ``regions``; returns the number of windows."""
    count = 0
    for reco, regs in regions.items():
        wave, rate = read_audio_of(wav_scp, reco)
        wins, emb = window_embeddings(encoder, wave, rate, regs, window, shift, batch_size,
                                      name=f"{reco} ({wav_scp[reco]})")
        atomic_savez(Path(out_dir) / f"{reco}.npz", {"windows": wins, "embeddings": emb})
        count += len(wins)
    return count


def load_embeddings(emb_dir: os.PathLike, reco: str) -> Tuple[np.ndarray, np.ndarray]:
    """(windows, embeddings) of ``reco`` written by :func:`embed_recordings`."""
    path = Path(emb_dir) / f"{reco}.npz"
    if not path.is_file():
        raise RecipeError(f"{path}: no embeddings for recording '{reco}' (run the "
                          "embedding stage first)")
    with np.load(path) as z:
        return z["windows"], z["embeddings"]


def diarize_recordings(emb_dir: os.PathLike, regions: Mapping[str, Sequence[Region]],
                       method: str = "ahc", threshold: float = AHC_THRESHOLD,
                       num_speakers: Optional[Mapping[str, int]] = None, log: Log = warn,
                       cache: Optional[Dict] = None, overlap_ratio: Optional[float] = None
                       ) -> Dict[str, List[Turn]]:
    """Turns per recording: cluster each recording's windows, then frame voting.

    Args:
        emb_dir: the ``embeddings/`` dir.
        regions: speech regions per recording (every recording to diarize).
        method, threshold: see :func:`cluster_embeddings`.
        num_speakers: oracle counts; a recording missing from it is an error when it is
            given (a silent fall-back would mix oracle and estimated counts).
        cache: a dict reused across calls to keep the embeddings in memory (tuning).
        overlap_ratio: second speakers of frames, see :func:`.reseg.frame_turns`.
    """
    turns: Dict[str, List[Turn]] = {}
    for reco in sorted(regions):
        if num_speakers is not None and reco not in num_speakers:
            raise RecipeError(f"recording '{reco}' is not in reco2num_spk")
        key = (str(emb_dir), reco)
        if cache is None or key not in cache:
            loaded = load_embeddings(emb_dir, reco)
            if cache is not None:
                cache[key] = loaded
        wins, emb = cache[key] if cache is not None else loaded
        if not len(wins):
            if regions[reco]:
                log(f"{reco}: speech too short to embed; it gets an empty RTTM")
            turns[reco] = []
            continue
        n = None if num_speakers is None else num_speakers[reco]
        labels = cluster_embeddings(method, emb, n, threshold)
        turns[reco] = frame_turns(wins, labels, regions[reco], prefix="spk",
                                  overlap_ratio=overlap_ratio)
    return turns


def tune_threshold(emb_dir: os.PathLike, regions: Mapping[str, Sequence[Region]],
                   ref: Mapping[str, Sequence[Turn]], durations: Mapping[str, float],
                   thresholds: Sequence[float], method: str = "ahc", collar: float = 0.25,
                   skip_overlap: bool = False) -> Tuple[float, List[Tuple[float, DerResult]]]:
    """The threshold with the lowest overall DER on these (development) recordings, and
    the DER of every threshold tried (the first of equal DERs wins)."""
    if not thresholds:
        raise RecipeError("no thresholds to try")
    cache: Dict = {}
    rows = []
    for t in thresholds:
        hyp = diarize_recordings(emb_dir, regions, method, t, None, log=lambda m: None,
                                 cache=cache)
        rows.append((float(t), score_recordings(ref, hyp, durations, collar, skip_overlap)[1]))
    best = min(rows, key=lambda r: r[1].der)[0]
    return best, rows


def read_reference(path: os.PathLike, recordings: Sequence[str]) -> Dict[str, List[Turn]]:
    """The reference turns of ``recordings`` (a recording without turns has no speech)."""
    ref = read_rttm(path)
    unknown = sorted(set(ref) - set(recordings))
    if unknown:
        raise RecipeError(f"{path}: recording '{unknown[0]}' is not in wav.scp "
                          f"({len(unknown)} such)")
    return {reco: ref.get(reco, []) for reco in recordings}
