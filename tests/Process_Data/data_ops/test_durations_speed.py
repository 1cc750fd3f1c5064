"""Process_Data.data_ops.durations, .frames and .speed: utt2dur, utt2num_frames, speed copies."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_dirs import make_data_dir

from Process_Data.data_dir import DataDirError, read_kv, write_kv
from Process_Data.data_ops import durations, frames, speed


def test_num_frames_from_duration_matches_kaldi_oracle():
    # utt2dur / utt2num_frames of the real Kaldi data dir in ../shared/data/oracles
    assert [frames.num_frames_from_duration(x) for x in (19.89, 6.95, 9.71)] == [1987, 693, 969]
    assert frames.num_frames_from_duration(0.025) == 1
    assert frames.num_frames_from_duration(0.0249) == 0


def test_utt2dur_reco2dur_and_frames(tmp_path):
    d = make_data_dir(tmp_path)
    (d / "utt2dur").unlink()
    durs = durations.compute_utt2dur(d, nj=2)
    assert durs["spkA-u2"] == pytest.approx(0.75)
    assert read_kv(d / "utt2dur")["spkA-u1"] == "0.5"
    assert durations.compute_reco2dur(d)["spkC-u0"] == pytest.approx(0.25)
    counts = frames.compute_utt2num_frames(d)
    assert counts["spkA-u0"] == 23  # 1 + (4000 - 400) // 160
    (d / "frame_shift").write_text("0.02\n")
    assert frames.compute_utt2num_frames(d)["spkA-u0"] == 12  # 1 + (4000 - 400) // 320


def test_utt2dur_names_unreadable_audio(tmp_path):
    d = make_data_dir(tmp_path)
    Path(read_kv(d / "wav.scp")["spkB-u0"]).write_bytes(b"not audio")
    with pytest.raises(DataDirError, match=r"wav.scp:4: recording 'spkB-u0'.*could not read"):
        durations.compute_utt2dur(d)


def test_perturb_speed_dir_and_pipe(tmp_path, recipe_env, monkeypatch):
    d = make_data_dir(tmp_path, speakers={"s": 1})
    out = speed.perturb_data_dir_speed("1.25", d, tmp_path / "sp")
    assert out.utts == ["sp1.25-s-u0"]
    from Process_Data.audio import read_audio

    assert read_kv(tmp_path / "sp" / "utt2dur") == {"sp1.25-s-u0": "0.2"}
    assert read_kv(tmp_path / "sp" / "utt2uniq") == {"sp1.25-s-u0": "s-u0"}
    entry = read_kv(tmp_path / "sp" / "wav.scp")["sp1.25-s-u0"]
    assert entry.startswith("python -m Process_Data.bin.speed_perturb 1.25 ") and entry.endswith("|")
    monkeypatch.setenv("PYTHONPATH", recipe_env["PYTHONPATH"])
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{recipe_env['PATH']}")
    wav, sr = read_audio(entry)
    assert sr == 16000 and len(wav) == 3200  # 4000 samples / 1.25
    src, _ = read_audio(read_kv(d / "wav.scp")["s-u0"])
    # a 440 Hz tone becomes 550 Hz: compare the spectral peaks
    peak = np.argmax(np.abs(np.fft.rfft(wav))) * sr / len(wav)
    assert peak == pytest.approx(550, abs=6)
    assert np.argmax(np.abs(np.fft.rfft(src))) * sr / len(src) == pytest.approx(440, abs=5)
    with pytest.raises(DataDirError, match="speed factor must be > 0"):
        speed.perturb_data_dir_speed("0", d, tmp_path / "sp0")


def test_perturb_segments_scale_and_missing_audio(tmp_path):
    d = make_data_dir(tmp_path, speakers={"s": 2})
    write_kv(d / "segments", {"s-u0": ["s-u1", "0.1", "0.3"], "s-u1": ["s-u1", "0.3", "-1"]})
    speed.perturb_data_dir_speed("0.5", d, tmp_path / "sp")
    segs = read_kv(tmp_path / "sp" / "segments", multi=True)
    assert segs == {"sp0.5-s-u0": ["sp0.5-s-u1", "0.2", "0.6"], "sp0.5-s-u1": ["sp0.5-s-u1", "0.6", "-1"]}
    assert set(read_kv(tmp_path / "sp" / "wav.scp")) == {"sp0.5-s-u0", "sp0.5-s-u1"}
    Path(read_kv(d / "wav.scp")["s-u0"]).unlink()
    with pytest.raises(DataDirError, match=r"wav.scp:1: audio file of 's-u0' not found"):
        speed.perturb_data_dir_speed("0.9", d, tmp_path / "sp9")
    assert not (tmp_path / "sp9").exists()
