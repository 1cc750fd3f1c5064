"""Attention maps of attentive pooling against the signal (the ECAPA-TDNN attention study).

Per utterance: the per-channel attention ``[H, T']``, its mean over channels per frame,
the frame log energy of the raw features, and Kaldi's energy-VAD decision on that energy.
Two numbers summarise it: the Pearson correlation of the mean attention with the VAD
decision (do the weights follow speech?) and the mean cosine similarity between the
channels' attention curves (1: every channel attends to the same frames).

Example:
    >>> import numpy as np
    >>> round(vad_correlation(np.array([0.1, 0.4, 0.5, 0.0]), np.array([0, 1, 1, 0])), 3)
    0.97
    >>> round(channel_similarity(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])), 3)
    0.333
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

from Process_Data.features.vad import VadOptions, compute_vad
from TrainAndTest.analysis.attention import pooling_attention


def frame_log_energy(raw_feats: np.ndarray, feature: str) -> np.ndarray:
    """Log energy per frame of raw (pre-CMN) features: C0 / the energy column for MFCC and
    spectrogram (bin 0 is the log energy), log-sum-exp of the log mel energies for fbank."""
    x = np.asarray(raw_feats, dtype=np.float64)
    if feature in ("mfcc", "spectrogram", "plp"):
        return x[:, 0].astype(np.float32)
    peak = x.max(axis=1, keepdims=True)
    return (peak[:, 0] + np.log(np.exp(x - peak).sum(axis=1))).astype(np.float32)


def energy_vad(energy: np.ndarray, opts: Optional[VadOptions] = None) -> np.ndarray:
    """Kaldi's energy-VAD rule (``compute-vad``) on a frame log-energy vector."""
    return compute_vad(np.asarray(energy, dtype=np.float32)[:, None], opts)


def resample_frames(values: np.ndarray, frames: int) -> np.ndarray:
    """Linear resampling of a per-frame curve onto ``frames`` frames."""
    v = torch.as_tensor(np.asarray(values, dtype=np.float32))[None, None]
    return F.interpolate(v, size=frames, mode="linear", align_corners=False)[0, 0].numpy()


def vad_correlation(mean_attention: np.ndarray, vad: np.ndarray) -> float:
    """Pearson correlation of the per-frame mean attention with the 0/1 VAD decision
    (NaN when either is constant)."""
    a, v = np.asarray(mean_attention, np.float64), np.asarray(vad, np.float64)
    if a.std() == 0 or v.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, v)[0, 1])


def channel_similarity(per_channel: np.ndarray) -> float:
    """Mean cosine similarity between the attention curves ``[H, T']`` of distinct channels
    (NaN for one channel)."""
    a = np.asarray(per_channel, np.float64)
    if a.shape[0] < 2:
        return float("nan")
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    sim = a @ a.T
    h = a.shape[0]
    return float((sim.sum() - np.trace(sim)) / (h * (h - 1)))


def attention_report(model, x: np.ndarray, raw_feats: np.ndarray, feature: str,
                     vad_opts: Optional[VadOptions] = None) -> Dict[str, object]:
    """Attention of one utterance against its energy and VAD.

    Args:
        model: embedding network with attentive pooling.
        x: model input ``[T, F]`` (after the front end).
        raw_feats: the raw features ``[T, F]`` x was made from (same frames: no VAD selection).
        feature: feature type of the raw features (``fbank``, ``mfcc``, ...).
        vad_opts: energy-VAD options (None: Kaldi's defaults).

    Returns:
        dict with ``per_channel`` ``[H, T']``, ``mean`` ``[T]`` (on the input frames),
        ``energy`` ``[T]``, ``vad`` ``[T]``, ``vad_correlation`` and ``channel_similarity``.
    """
    att = pooling_attention(model, torch.as_tensor(x, dtype=torch.float32)[None])["attention"]
    per_channel = att.numpy()
    frames = x.shape[0]
    mean = resample_frames(per_channel.mean(axis=0), frames)
    energy = frame_log_energy(raw_feats, feature)
    vad = energy_vad(energy, vad_opts)
    return {
        "per_channel": per_channel,
        "mean": mean,
        "energy": energy,
        "vad": vad,
        "vad_correlation": vad_correlation(mean, vad),
        "channel_similarity": channel_similarity(per_channel),
    }
