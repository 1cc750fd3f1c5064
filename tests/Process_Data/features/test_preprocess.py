"""Band-pass filtering and resampling as feature-extraction options."""

from __future__ import annotations

import numpy as np
import pytest

from Process_Data.features import FEATURES, OptionError, parse_options
from Process_Data.features.preprocess import band_pass, prepare_waveform


def _tone(freq, sr=16000, n=16000):
    return np.sin(2 * np.pi * freq * np.arange(n) / sr).astype(np.float32)


def test_band_pass_keeps_the_band_and_removes_the_rest():
    def gain(freq):
        out = band_pass(_tone(freq), 16000, 300.0, 3400.0, order=4)
        return np.sqrt(np.mean(out[2000:-2000] ** 2) / np.mean(_tone(freq)[2000:-2000] ** 2))

    assert gain(1000) > 0.98
    assert gain(50) < 0.01 and gain(7000) < 0.01
    assert np.array_equal(band_pass(_tone(50), 16000, 0.0, 0.0), _tone(50))


def test_band_pass_option_changes_low_mel_bins_only():
    plain = FEATURES.build("fbank", opts=parse_options("fbank", ["--dither=0"]))
    hp = FEATURES.build("fbank", opts=parse_options(
        "fbank", ["--dither=0", "--band-pass-low=1000", "--band-pass-order=6"]))
    w = _tone(150) + _tone(3000)
    a, b = plain.compute(w), hp.compute(w)
    assert (a[:, 1] - b[:, 1]).mean() > 5  # the 150 Hz bin lost its energy (log domain)
    assert abs((a[:, -6] - b[:, -6]).mean()) < 0.1


def test_resampling_needs_permission():
    opts = parse_options("fbank", ["--dither=0"])
    with pytest.raises(OptionError, match="allow-upsample"):
        prepare_waveform(np.zeros(8000, np.float32), 8000, opts.frame)
    opts = parse_options("fbank", ["--dither=0", "--allow-upsample=true"])
    assert prepare_waveform(np.zeros(8000, np.float32), 8000, opts.frame).shape == (16000,)
    down = parse_options("mfcc", ["--dither=0", "--sample-frequency=8000",
                                  "--allow-downsample=true"])
    feats = FEATURES.build("mfcc", opts=down).compute(_tone(1000, 16000), 16000)
    assert feats.shape == (98, 13)


def test_bad_band_is_an_error():
    with pytest.raises(OptionError, match="band"):
        parse_options("fbank", ["--band-pass-low=9000"])
