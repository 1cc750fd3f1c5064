"""Kaldi option parsing: option files, command-line values, errors naming file and line."""

from __future__ import annotations

import pytest

from Process_Data.features.options import (
    FbankOptions,
    OptionError,
    fill_options,
    parse_options,
)
from Process_Data.features.vad import VadOptions


def test_defaults_are_kaldis():
    f = FbankOptions()
    assert (f.frame.window_size, f.frame.window_shift, f.frame.padded_window_size) == (400, 160,
                                                                                        512)
    assert (f.mel.num_bins, f.mel.low_freq, f.frame.window_type) == (23, 20.0, "povey")
    m = parse_options("mfcc")
    assert (m.num_ceps, m.cepstral_lifter, m.use_energy, m.mel.num_bins) == (13, 22.0, True, 23)


def test_config_then_command_line_wins(tmp_path):
    conf = tmp_path / "f.conf"
    conf.write_text("# comment\n--num-mel-bins=80  # trailing comment\n\n--snip-edges=false\n")
    opts = parse_options("fbank", ["--num-mel-bins=40", f"--config={conf}"])
    assert opts.mel.num_bins == 40 and opts.frame.snip_edges is False


@pytest.mark.parametrize("text,value", [("true", True), ("1", True), ("T", True),
                                        ("false", False), ("0", False), ("f", False)])
def test_booleans(text, value):
    assert parse_options("fbank", [f"--use-energy={text}"]).use_energy is value


def test_unknown_option_in_file_names_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("--num-mel-bins=80\n--num-mel-bin=40\n")
    with pytest.raises(OptionError, match=r"bad\.conf:2: unknown option --num-mel-bin"):
        parse_options("fbank", config=conf)


def test_malformed_line_names_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# ok\nnum-mel-bins=80\n")
    with pytest.raises(OptionError, match=r"bad\.conf:2: malformed line"):
        parse_options("fbank", config=conf)


def test_bad_value_names_option(tmp_path):
    conf = tmp_path / "v.conf"
    conf.write_text("--num-mel-bins=many\n")
    with pytest.raises(OptionError, match=r"v\.conf:1: --num-mel-bins: expected an integer"):
        parse_options("fbank", config=conf)
    with pytest.raises(OptionError, match="expected true or false"):
        parse_options("fbank", ["--snip-edges=maybe"])
    with pytest.raises(OptionError, match="window-type"):
        parse_options("fbank", ["--window-type=triangle"])


def test_option_of_another_type_is_unknown():
    with pytest.raises(OptionError, match="unknown option --num-ceps"):
        parse_options("fbank", ["--num-ceps=13"])
    with pytest.raises(OptionError, match="unknown feature type"):
        parse_options("lpcc")


def test_shipped_conf_files_parse(repo):
    dims = {"spect_161": ("spectrogram", 161), "fbank_80": ("fbank", 80),
            "fbank_64": ("fbank", 64), "mfcc_30": ("mfcc", 30), "mfcc": ("mfcc", 13),
            "plp": ("plp", 13), "fbank": ("fbank", 40)}
    from Process_Data.features import FEATURES

    for name, (kind, dim) in dims.items():
        opts = parse_options(kind, config=repo / "conf" / f"{name}.conf")
        assert FEATURES.build(kind, opts=opts).dim == dim, name
    mfcc30 = parse_options("mfcc", config=repo / "conf" / "mfcc_30.conf")
    assert (mfcc30.mel.low_freq, mfcc30.mel.high_freq) == (20.0, -400.0)
    vad = fill_options(VadOptions(), config=repo / "conf" / "vad.conf")
    assert (vad.vad_energy_threshold, vad.vad_frames_context) == (5.5, 2)
