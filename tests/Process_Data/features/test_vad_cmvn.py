"""Energy VAD, sliding CMVN and voiced-frame selection on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from Process_Data.features.cmvn import SlidingCmvnOptions, sliding_cmvn
from Process_Data.features.options import OptionError
from Process_Data.features.vad import VadOptions, compute_vad, select_voiced_frames


def test_vad_threshold_uses_mean_energy():
    # mean 4, threshold 1 + 0.5 * 4 = 3: only the frames above 3 are voiced
    e = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 4.0])[:, None]
    vad = compute_vad(e, VadOptions(vad_energy_threshold=1.0, vad_energy_mean_scale=0.5))
    assert vad.tolist() == [0, 0, 1, 1, 1, 1]


def test_vad_context_and_proportion():
    e = np.array([10.0, 0, 0, 0, 10, 10, 0])[:, None]
    opts = VadOptions(vad_energy_threshold=5.0, vad_energy_mean_scale=0.0,
                      vad_frames_context=1, vad_proportion_threshold=0.5)
    # windows: [10,0]=1/2 [10,0,0]=1/3 [0,0,0]=0 [0,0,10]=1/3 [0,10,10]=2/3 [10,10,0] [10,0]
    assert compute_vad(e, opts).tolist() == [1, 0, 0, 0, 1, 1, 1]


def test_vad_bad_options_and_empty():
    with pytest.raises(OptionError):
        compute_vad(np.zeros((3, 1)), VadOptions(vad_proportion_threshold=1.5))
    assert compute_vad(np.zeros((0, 2))).shape == (0,)


def kaldi_sliding(x: np.ndarray, o: SlidingCmvnOptions) -> np.ndarray:
    """apply-cmvn-sliding written frame by frame after Kaldi's SlidingWindowCmnInternal."""
    T = len(x)
    out = np.zeros_like(x, dtype=np.float64)
    for t in range(T):
        if o.center:
            ws = t - o.cmn_window // 2
            we = ws + o.cmn_window
        else:
            ws, we = t - o.cmn_window, t + 1
        if ws < 0:
            we -= ws
            ws = 0
        if not o.center and we > t:
            we = max(t + 1, o.min_cmn_window)
        if we > T:
            ws -= we - T
            we = T
            ws = max(ws, 0)
        win = x[ws:we].astype(np.float64)
        out[t] = x[t] - win.mean(axis=0)
        if o.norm_vars:
            if we - ws == 1:
                out[t] = 0.0
            else:
                var = np.maximum((win ** 2).mean(axis=0) - win.mean(axis=0) ** 2, 1e-10)
                out[t] /= np.sqrt(var)
    return out


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("norm_vars", [True, False])
@pytest.mark.parametrize("window,min_window,T", [(5, 2, 23), (7, 7, 4), (300, 100, 257)])
def test_sliding_cmvn_matches_frame_loop(center, norm_vars, window, min_window, T):
    x = np.random.default_rng(T).standard_normal((T, 3)).astype(np.float32) * 3 + 1
    o = SlidingCmvnOptions(cmn_window=window, min_cmn_window=min_window, center=center,
                           norm_vars=norm_vars)
    np.testing.assert_allclose(sliding_cmvn(x, o), kaldi_sliding(x, o), rtol=1e-5, atol=1e-5)


def test_sliding_cmvn_hand_case():
    x = np.array([[1.0], [3.0], [5.0], [7.0]])
    # not centred, window 2, min window 3: frames 0-1 use [0,3), frame 2 [0,3), frame 3 [1,4)
    o = SlidingCmvnOptions(cmn_window=2, min_cmn_window=3)
    assert sliding_cmvn(x, o).ravel().tolist() == [-2.0, 0.0, 2.0, 2.0]
    one = sliding_cmvn(x[:1], SlidingCmvnOptions(cmn_window=1, min_cmn_window=1,
                                                 norm_vars=True))
    assert one.tolist() == [[0.0]]


def test_select_voiced_frames():
    feats = np.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(select_voiced_frames(feats, np.array([0, 1, 0, 1.0])),
                                  [[2, 3], [6, 7]])
    with pytest.raises(ValueError, match="3 frames but the features have 4"):
        select_voiced_frames(feats, np.ones(3))
