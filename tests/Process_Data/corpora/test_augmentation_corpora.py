"""MUSAN and RIRS_NOISES preparation: tiny trees with known output, and the real minis."""

from __future__ import annotations

import os

import pytest

from Process_Data.corpora.common import CorpusError
from Process_Data.corpora.musan import prepare_musan
from Process_Data.corpora.rirs import prepare_rirs
from Process_Data.data_dir import read_kv, validate_data_dir


def quiet(*_):
    pass


@pytest.fixture
def musan(tmp_path, write_tone):
    root = tmp_path / "musan"
    write_tone(root / "music/fma/music-fma-0000.wav", 16000, 0.5)
    write_tone(root / "music/fma/music-fma-0001.wav", 16000, 0.5)
    write_tone(root / "music/fma/music-fma-0002.wav", 16000, 0.5)
    (root / "music/fma/ANNOTATIONS").write_text(
        "music-fma-0000 rock N x\nmusic-fma-0001 pop Y y\n"
    )  # 0002 has no annotation: left out
    write_tone(root / "noise/free-sound/noise-free-sound-0000.wav", 16000, 0.75)
    write_tone(root / "speech/librivox/speech-librivox-0000.wav", 16000, 1.0)
    return root


def test_musan_tiny(musan, tmp_path):
    warnings = []
    out = prepare_musan(musan, tmp_path / "data", log=warnings.append)
    assert read_kv(out["music"] / "utt2spk") == {"music-fma-0000": "music-fma-0000"}
    assert (out["noise"] / "utt2dur").read_text() == "noise-free-sound-0000 0.750\n"
    assert (out["speech"] / "utt2dur").read_text() == "speech-librivox-0000 1.000\n"
    assert any("music-fma-0002.wav: no annotation" in w for w in warnings)
    with_vocals = prepare_musan(musan, tmp_path / "d2", use_vocals=True, log=quiet)
    assert list(read_kv(with_vocals["music"] / "utt2spk")) == ["music-fma-0000", "music-fma-0001"]


def test_musan_bad_annotation(musan, tmp_path):
    (musan / "music/fma/ANNOTATIONS").write_text("music-fma-0000 rock maybe x\n")
    with pytest.raises(CorpusError, match=r"ANNOTATIONS:1: vocals field 'maybe'"):
        prepare_musan(musan, tmp_path / "data", log=quiet)
    assert not (tmp_path / "data").exists() or not os.listdir(tmp_path / "data")


def test_rirs_tiny(tmp_path, write_tone):
    root = tmp_path / "RIRS_NOISES"
    write_tone(root / "real_rirs_isotropic_noises/air_a.wav", 16000, 0.5)
    (root / "real_rirs_isotropic_noises/rir_list").write_text(
        "--rir-id air_a --room-id air-room1 RIRS_NOISES/real_rirs_isotropic_noises/air_a.wav\n"
    )
    for room in ("Room001", "Room002"):
        write_tone(root / f"simulated_rirs/smallroom/{room}/{room}-00001.wav", 16000, 0.25)
    (root / "simulated_rirs/smallroom/rir_list").write_text("".join(
        f"--rir-id smallroom-{r}-00001 --room-id smallroom-{r} "
        f"RIRS_NOISES/simulated_rirs/smallroom/{r}/{r}-00001.wav\n"
        for r in ("Room001", "Room002")
    ))  # fmt: skip
    out = prepare_rirs(root, tmp_path / "data", log=quiet)
    real = out["real"]
    assert read_kv(real / "utt2spk") == {"air-room1-air_a": "air-room1"}
    assert (real / "rir2room").read_text() == "air_a air-room1\n"
    path = os.path.realpath(root / "real_rirs_isotropic_noises/air_a.wav")
    assert (real / "rir_list").read_text() == f"--rir-id air_a --room-id air-room1 {path}\n"
    sim = read_kv(out["simulated"] / "utt2spk")
    assert sim == {"smallroom-Room001-00001": "smallroom-Room001",
                   "smallroom-Room002-00001": "smallroom-Room002"}  # fmt: skip
    assert (out["simulated"] / "utt2dur").read_text().count("0.250") == 2
    (root / "real_rirs_isotropic_noises/rir_list").write_text("--rir-id x RIRS_NOISES/a.wav\n")
    with pytest.raises(CorpusError, match=r"rir_list:1: expected"):
        prepare_rirs(root, tmp_path / "data", sets=["real"], log=quiet)


@pytest.mark.shared_data
def test_real_minis(shared_data, tmp_path):
    m = prepare_musan(shared_data / "musan_mini", tmp_path / "data", log=quiet)
    counts = {k: len(validate_data_dir(v, no_feats=True).utts) for k, v in m.items()}
    assert counts == {"music": 11, "noise": 20, "speech": 41}
    assert all((v / "utt2dur").is_file() for v in m.values())
    r = prepare_rirs(shared_data / "RIRS_NOISES_mini", tmp_path / "data", log=quiet)
    real = validate_data_dir(r["real"], no_feats=True)
    sim = validate_data_dir(r["simulated"], no_feats=True)
    assert (len(real.utts), len(real.speakers)) == (9, 9)
    assert (len(sim.utts), len(sim.speakers)) == (150, 30)
    for u, p in read_kv(r["simulated"] / "wav.scp").items():
        assert os.path.isfile(p), u
