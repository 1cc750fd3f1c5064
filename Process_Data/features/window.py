"""Kaldi frame extraction: window functions, frame counts and framing of a waveform.

Frames are rows of a ``[num_frames, frame_length]`` float32 tensor. With ``snip_edges``
true only whole frames inside the signal are kept; with it false frame ``t`` is centred on
``t * shift + shift / 2`` and the signal is reflected at its ends (sample ``-1`` is sample
``0``, sample ``n`` is sample ``n - 1``), exactly as Kaldi's ``ExtractWindow``.

Example:
    >>> import torch
    >>> from Process_Data.features.options import FrameOptions
    >>> opts = FrameOptions()
    >>> num_frames(16000, opts), extract_frames(torch.zeros(16000), opts).shape
    (98, torch.Size([98, 400]))
"""

from __future__ import annotations

import math

import numpy as np
import torch

from Process_Data.features.options import FrameOptions, OptionError


def window_function(opts: FrameOptions) -> np.ndarray:
    """The analysis window (float32, ``opts.window_size`` long), computed in double as Kaldi.

    Example:
        >>> w = window_function(FrameOptions(window_type="hamming"))
        >>> round(float(w[0]), 4), w.dtype
        (0.08, dtype('float32'))
    """
    n = opts.window_size
    i = np.arange(n, dtype=np.float64)
    a = 2.0 * math.pi / (n - 1)
    kind = opts.window_type
    if kind == "hanning":
        w = 0.5 - 0.5 * np.cos(a * i)
    elif kind == "sine":
        w = np.sin(0.5 * a * i)
    elif kind == "hamming":
        w = 0.54 - 0.46 * np.cos(a * i)
    elif kind == "povey":
        w = np.power(0.5 - 0.5 * np.cos(a * i), 0.85)
    elif kind == "rectangular":
        w = np.ones(n)
    elif kind == "blackman":
        c = opts.blackman_coeff
        w = c - 0.5 * np.cos(a * i) + (0.5 - c) * np.cos(2 * a * i)
    else:
        raise OptionError(f"--window-type: unknown window '{kind}'")
    return w.astype(np.float32)


def num_frames(num_samples: int, opts: FrameOptions) -> int:
    """Number of frames Kaldi extracts from ``num_samples`` samples.

    Example:
        >>> num_frames(400, FrameOptions()), num_frames(399, FrameOptions())
        (1, 0)
    """
    shift, length = opts.window_shift, opts.window_size
    if opts.snip_edges:
        return 0 if num_samples < length else 1 + (num_samples - length) // shift
    return (num_samples + shift // 2) // shift


def first_sample(frame: int, opts: FrameOptions) -> int:
    """Index of the first sample of ``frame`` (negative before the signal start)."""
    shift = opts.window_shift
    if opts.snip_edges:
        return frame * shift
    return frame * shift + shift // 2 - opts.window_size // 2


def reflect_index(index: torch.Tensor, n: int) -> torch.Tensor:
    """Map sample indices outside ``[0, n)`` back inside by Kaldi's repeated reflection.

    Example:
        >>> reflect_index(torch.tensor([-2, -1, 0, 4, 5, 6]), 5).tolist()
        [1, 0, 0, 4, 4, 3]
    """
    m = torch.remainder(index, 2 * n)
    return torch.where(m < n, m, 2 * n - 1 - m)


def extract_frames(wave: torch.Tensor, opts: FrameOptions) -> torch.Tensor:
    """Frames of a 1-D waveform as a ``[num_frames, window_size]`` tensor.

    With ``snip_edges`` this is a strided view (no copy); otherwise the few samples
    reflected at each end are gathered and the middle is still one strided view.

    Args:
        wave: 1-D tensor (any float dtype, any device).
        opts: frame options.

    Returns:
        the frames; zero rows when the signal is shorter than one frame.
    """
    n = int(wave.shape[0])
    count = num_frames(n, opts)
    length, shift = opts.window_size, opts.window_shift
    if count == 0:
        return wave.new_zeros((0, length))
    start = first_sample(0, opts)
    end = first_sample(count - 1, opts) + length
    if start >= 0 and end <= n:
        return wave[start:end].unfold(0, length, shift)
    left = max(0, -start)
    right = max(0, end - n)
    pieces = []
    if left:
        idx = reflect_index(torch.arange(-left, 0, device=wave.device), n)
        pieces.append(wave[idx])
    pieces.append(wave[max(0, start):min(n, end)])
    if right:
        idx = reflect_index(torch.arange(n, n + right, device=wave.device), n)
        pieces.append(wave[idx])
    return torch.cat(pieces).unfold(0, length, shift)
