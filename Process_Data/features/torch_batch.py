"""Batched feature extraction in torch, on CPU or GPU, with the single-utterance numbers.

All frames of all utterances in a batch are cut (strided views, reflection at the ends
as Kaldi), concatenated into one frame matrix and pushed through the same computer code
as :meth:`FeatureComputer.compute`, so a batch gives the same features as one utterance
at a time (dither noise is drawn per utterance from its own seed).

Example:
    >>> import numpy as np
    >>> from Process_Data.features import FEATURES, parse_options
    >>> fb = FEATURES.build("fbank", opts=parse_options("fbank", ["--dither=0"]))
    >>> waves = [np.zeros(16000, np.float32), np.zeros(8000, np.float32)]
    >>> [f.shape for f in compute_batch(fb, waves)]
    [torch.Size([98, 23]), torch.Size([48, 23])]
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from Process_Data.features.computer import PCM_SCALE, FeatureComputer
from Process_Data.features.window import extract_frames

Wave = Union[np.ndarray, torch.Tensor]


def _needs_cpu_preprocessing(computer: FeatureComputer) -> bool:
    f = computer.frame
    return f.band_pass_low > 0 or f.band_pass_high != 0


def compute_batch(computer: FeatureComputer, waves: Sequence[Wave],
                  sample_rates: Optional[Sequence[Optional[float]]] = None,
                  device: Optional[Union[str, torch.device]] = None,
                  seeds: Optional[Sequence[int]] = None,
                  vtln_warp: Optional[float] = None) -> List[torch.Tensor]:
    """Features of many utterances in one pass.

    Args:
        computer: a feature computer (``FEATURES.build(...)``).
        waves: 1-D waveforms in [-1, 1] (numpy or torch).
        sample_rates: their rates (None: all at ``--sample-frequency``).
        device: where to compute (default: CPU).
        seeds: per-utterance dither seeds (default: ``--dither-seed`` for all).
        vtln_warp: warp factor overriding ``--vtln-warp``.

    Returns:
        one ``[num_frames_i, dim]`` float32 tensor per utterance, on ``device``.
    """
    device = torch.device(device) if device is not None else torch.device("cpu")
    frames, counts, noises = [], [], []
    with torch.no_grad():
        for i, wave in enumerate(waves):
            sr = None if sample_rates is None else sample_rates[i]
            if isinstance(wave, torch.Tensor) and sr is None and not _needs_cpu_preprocessing(
                    computer):
                f = extract_frames(wave.to(device, torch.float32) * PCM_SCALE, computer.frame)
            else:
                w = wave.detach().cpu().numpy() if isinstance(wave, torch.Tensor) else wave
                f = computer.frames_of(w, sr, device)
            frames.append(f)
            counts.append(int(f.shape[0]))
            seed = None if seeds is None else seeds[i]
            noises.append(computer.dither_noise(tuple(f.shape), seed))
        if not frames:
            return []
        noise = None
        if computer.frame.dither != 0.0 and sum(counts):
            noise = torch.cat([n for n in noises if n is not None]).to(device)
        feats = computer.features_from_frames(torch.cat(frames), noise, vtln_warp)
    return list(torch.split(feats, counts))


def pad_features(feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Stack ``[T_i, D]`` tensors into ``[B, T_max, D]`` (zero padded) and ``num_frames [B]``."""
    lengths = torch.tensor([f.shape[0] for f in feats], dtype=torch.long)
    return torch.nn.utils.rnn.pad_sequence(list(feats), batch_first=True), lengths


class FeatureExtractor(torch.nn.Module):
    """``nn.Module`` wrapper: padded waveforms ``[B, T]`` -> features ``[B, frames, dim]``.

    Args:
        computer: the feature computer to apply.

    Example:
        >>> from Process_Data.features import FEATURES, parse_options
        >>> ext = FeatureExtractor(FEATURES.build("mfcc", opts=parse_options("mfcc", [])))
        >>> feats, n = ext(torch.zeros(2, 8000), torch.tensor([8000, 4000]))
        >>> tuple(feats.shape), n.tolist()
        ((2, 48, 13), [48, 23])
    """

    def __init__(self, computer: FeatureComputer):
        super().__init__()
        self.computer = computer

    def forward(self, waves: torch.Tensor, lengths: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Features of each row's first ``lengths[i]`` samples, and the frame counts."""
        if lengths is None:
            rows = list(waves)
        else:
            rows = [waves[i, : int(n)] for i, n in enumerate(lengths.tolist())]
        seeds = list(range(len(rows))) if self.computer.frame.dither else None
        feats = compute_batch(self.computer, rows, device=waves.device, seeds=seeds)
        padded, counts = pad_features(feats)
        return padded.to(waves.device), counts.to(waves.device)
