"""Sliding-window speaker embeddings over the speech regions of a recording.

Each speech region is cut into windows of ``window`` seconds every ``shift`` seconds (the
last window is aligned to the region's end, so every speech frame is covered); a region
shorter than one window is one window. The model's own front end (:class:`Encoder`, read
from ``final.pt``) makes the features of each whole region once (so sliding CMN sees the
region's context, as extraction sees the utterance's); the windows are slices of those
frames, run through the network in batches of equal length. A front end with energy VAD
drops frames, so there each window is embedded from its own audio instead.

A region shorter than the encoder's minimum duration is embedded from audio widened
around its centre to that minimum (its window keeps the region's own bounds); a region
the encoder refuses (digital silence) gets no window and a warning.

Example:
    >>> sliding_windows(0.0, 3.2, window=1.5, shift=0.75)
    [(0.0, 1.5), (0.75, 2.25), (1.5, 3.0), (1.7, 3.2)]
    >>> sliding_windows(2.0, 2.6, window=1.5, shift=0.75)
    [(2.0, 2.6)]
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

from Process_Data.audio import resample
from Process_Data.kaldi_table import warn
from TrainAndTest.diarization.rttm import Region
from TrainAndTest.inference.audio_input import InputError
from TrainAndTest.inference.encoder import Encoder, label_vectors

#: default window length and shift, seconds.
WINDOW = 1.5
SHIFT = 0.75


def sliding_windows(start: float, end: float, window: float = WINDOW,
                    shift: float = SHIFT) -> List[Region]:
    """Windows ``(start, end)`` covering ``start .. end`` (see the module docstring).

    Raises:
        ValueError: a non-positive window or shift.
    """
    if window <= 0 or shift <= 0:
        raise ValueError(f"window ({window}) and shift ({shift}) must be positive")
    if end - start <= window + 1e-9:
        return [(start, end)]
    count = int(np.floor((end - start - window) / shift + 1e-9)) + 1
    wins = [(round(start + k * shift, 6), round(start + k * shift + window, 6))
            for k in range(count)]
    if wins[-1][1] < end - 1e-6:
        wins.append((round(end - window, 6), end))
    return wins


def _run_batches(encoder: Encoder, chunks: List[np.ndarray], batch_size: int) -> List[np.ndarray]:
    """Embeddings of feature chunks; equal lengths share a batch, short ones go alone."""
    out: List[np.ndarray] = [np.empty(0)] * len(chunks)
    by_len: Dict[int, List[int]] = {}
    for i, c in enumerate(chunks):
        if c.shape[0] < encoder.min_frames:
            out[i] = encoder.embed_features(c).numpy()
        else:
            by_len.setdefault(c.shape[0], []).append(i)
    with torch.inference_mode():
        for idx in by_len.values():
            for b in range(0, len(idx), batch_size):
                part = idx[b:b + batch_size]
                x = torch.from_numpy(np.stack([chunks[i] for i in part])).to(encoder.device)
                emb = label_vectors(encoder.model.forward_features(x))["embedding"]
                for i, e in zip(part, emb.float().cpu().numpy()):
                    out[i] = e
    return out


def window_embeddings(encoder: Encoder, wave: np.ndarray, rate: int,
                      regions: Sequence[Region], window: float = WINDOW, shift: float = SHIFT,
                      batch_size: int = 32, name: str = "recording"
                      ) -> Tuple[np.ndarray, np.ndarray]:
    """Windows ``[N, 2]`` (seconds) and their embeddings ``[N, dim]`` (float32).

    Args:
        encoder: the trained model with its front end.
        wave, rate: the recording's samples and rate.
        regions: speech regions (seconds), e.g. from :mod:`TrainAndTest.diarization.sad`.
        window, shift: window length and shift, seconds.
        batch_size: windows per network call.
        name: the recording, for error messages.

    A recording shorter than the encoder's minimum duration gives no window.
    """
    sr = encoder.sample_rate
    wave = resample(np.asarray(wave, dtype=np.float32), int(rate), sr)
    total = len(wave) / sr
    fshift = encoder.frontend.options.frame.frame_shift / 1000.0
    spans: List[Region] = []
    chunks: List[np.ndarray] = []
    for start, end in regions:
        start, end = max(0.0, start), min(total, end)
        if end <= start:
            continue
        lo, hi = start, end
        if hi - lo < encoder.min_duration:  # widen the audio, keep the region's bounds
            if total < encoder.min_duration:
                continue
            mid = (lo + hi) / 2
            lo = min(max(0.0, mid - encoder.min_duration / 2), total - encoder.min_duration)
            hi = lo + encoder.min_duration
        seg = wave[int(round(lo * sr)):int(round(hi * sr))]
        wins = sliding_windows(start, end, window, shift)
        if encoder.frontend.vad:
            for ws, we in wins:
                a, b = max(lo, ws), min(hi, max(we, ws + encoder.min_duration))
                piece = wave[int(round(a * sr)):int(round(b * sr))]
                chunks.append(encoder.features(piece, sr, f"{name} {ws:.2f}-{we:.2f} s"))
                spans.append((ws, we))
            continue
        try:
            feats = encoder.features(seg, sr, f"{name} {start:.2f}-{end:.2f} s")
        except InputError as e:  # digital silence inside a (say, oracle) speech region
            warn(f"{e}; the region gets no embedding")
            continue
        for ws, we in wins:
            a = min(int(round((ws - lo) / fshift)), max(feats.shape[0] - 1, 0))
            b = max(min(int(round((we - lo) / fshift)), feats.shape[0]), a + 1)
            if len(wins) == 1:
                a, b = 0, feats.shape[0]
            chunks.append(feats[a:b])
            spans.append((ws, we))
    if not chunks:
        return np.zeros((0, 2)), np.zeros((0, encoder.embed_dim), dtype=np.float32)
    emb = _run_batches(encoder, chunks, batch_size)
    return np.asarray(spans, dtype=np.float64), np.stack(emb).astype(np.float32)
