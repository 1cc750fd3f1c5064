"""Framing: frame counts, Kaldi's reflection at the edges, window functions, mel banks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from Process_Data.features.mel import mel_banks, mel_scale
from Process_Data.features.options import FrameOptions, MelOptions, OptionError
from Process_Data.features.window import extract_frames, num_frames, window_function


def kaldi_frames(wave: np.ndarray, opts: FrameOptions) -> np.ndarray:
    """Frame extraction written sample by sample after Kaldi's ExtractWindow."""
    n, length, shift = len(wave), opts.window_size, opts.window_shift
    out = []
    for f in range(num_frames(n, opts)):
        start = f * shift if opts.snip_edges else f * shift + shift // 2 - length // 2
        row = []
        for s in range(length):
            i = start + s
            while i < 0 or i >= n:
                i = -i - 1 if i < 0 else 2 * n - 1 - i
            row.append(wave[i])
        out.append(row)
    return np.array(out, dtype=np.float32).reshape(-1, length)


@pytest.mark.parametrize("n", [0, 79, 80, 399, 400, 401, 1000, 1234])
@pytest.mark.parametrize("snip", [True, False])
def test_frames_match_sample_loop(n, snip):
    opts = FrameOptions(snip_edges=snip)
    wave = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    ours = extract_frames(torch.from_numpy(wave), opts).numpy()
    np.testing.assert_array_equal(ours, kaldi_frames(wave, opts))


def test_frame_counts():
    assert [num_frames(n, FrameOptions()) for n in (399, 400, 559, 560, 16000)] == [0, 1, 1, 2,
                                                                                      98]
    no_snip = FrameOptions(snip_edges=False)
    assert [num_frames(n, no_snip) for n in (79, 80, 16000)] == [0, 1, 100]


def test_windows():
    h = window_function(FrameOptions(window_type="hanning"))
    assert h[0] == 0 and abs(h[199] - 1.0) < 1e-4
    p = window_function(FrameOptions())
    np.testing.assert_allclose(p, h.astype(np.float64) ** 0.85, rtol=1e-5, atol=1e-7)
    assert (window_function(FrameOptions(window_type="rectangular")) == 1).all()
    b = window_function(FrameOptions(window_type="blackman"))
    assert abs(b[0]) < 1e-6 and abs(b[199] - 1.0) < 1e-3


def test_mel_banks_are_triangles_summing_to_one_between_centres():
    w, centres = mel_banks(MelOptions(num_bins=10, low_freq=0, high_freq=0), FrameOptions())
    assert w.shape == (257, 10) and (w >= 0).all() and (w[-1] == 0).all()
    hz = 16000 / 512 * np.arange(257)
    inner = (hz > centres[0]) & (hz < centres[-1])
    np.testing.assert_allclose(w[inner].sum(axis=1), 1.0, atol=1e-5)
    assert abs(float(mel_scale(700.0)) - 1127.0 * np.log(2.0)) < 1e-9


def test_too_many_mel_bins_is_an_error():
    with pytest.raises(OptionError, match="too large"):
        mel_banks(MelOptions(num_bins=200), FrameOptions())
    with pytest.raises(OptionError, match="low-freq"):
        mel_banks(MelOptions(low_freq=9000), FrameOptions())
