"""utils/data/{get_utt2dur,get_reco2dur,get_num_frames,perturb_data_dir_speed}.sh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from Process_Data.audio import AudioReader
from Process_Data.data_dir import read_kv, validate_data_dir


def make_dir(root: Path) -> Path:
    """Two recordings (FLAC 0.5 s at 8 kHz, WAV through a pipe 0.75 s at 16 kHz)."""
    d = root / "data"
    d.mkdir()
    t8 = np.arange(4000) / 8000
    sf.write(root / "a.flac", (0.3 * np.sin(2 * np.pi * 300 * t8)).astype(np.float32), 8000)
    t16 = np.arange(12000) / 16000
    sf.write(root / "b.wav", (0.3 * np.sin(2 * np.pi * 500 * t16)).astype(np.float32), 16000)
    (d / "wav.scp").write_text(f"s1-a {root / 'a.flac'}\ns2-b cat {root / 'b.wav'} |\n")
    (d / "utt2spk").write_text("s1-a s1\ns2-b s2\n")
    (d / "spk2utt").write_text("s1 s1-a\ns2 s2-b\n")
    return d


def sh(repo: Path, env: dict, script: str, *args) -> subprocess.CompletedProcess:
    """Run utils/data/<script> by full path, with the test's python first on PATH."""
    env = {**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"}
    return subprocess.run(
        [str(repo / "utils" / "data" / script), *map(str, args)],
        cwd="/", env=env, capture_output=True, text=True, timeout=120,
    )


def test_utt2dur_reco2dur_num_frames(repo, recipe_env, tmp_path):
    d = make_dir(tmp_path)
    r = sh(repo, recipe_env, "get_utt2dur.sh", "--nj", "2", d)
    assert r.returncode == 0, r.stderr
    assert (d / "utt2dur").read_text() == "s1-a 0.5\ns2-b 0.75\n"
    r = sh(repo, recipe_env, "get_utt2dur.sh", d)
    assert r.returncode == 0 and "up to date; skipping" in r.stderr
    r = sh(repo, recipe_env, "get_reco2dur.sh", d)
    assert r.returncode == 0 and (d / "reco2dur").read_text() == "s1-a 0.5\ns2-b 0.75\n"
    r = sh(repo, recipe_env, "get_num_frames.sh", d)
    assert r.returncode == 0, r.stderr
    # counted on a 16 kHz grid: 1 + (8000 - 400) // 160 = 48, 1 + (12000 - 400) // 160 = 73
    assert (d / "utt2num_frames").read_text() == "s1-a 48\ns2-b 73\n"
    assert r.stdout == "121\n"
    r = sh(repo, recipe_env, "get_num_frames.sh", "--frame-shift", "0.02", d)
    assert r.stdout == "61\n"  # 1 + 7600 // 320 = 24 and 1 + 11600 // 320 = 37


def test_utt2dur_bad_audio_and_bad_dir(repo, recipe_env, tmp_path):
    d = make_dir(tmp_path)
    (d / "wav.scp").write_text(f"s1-a {tmp_path / 'a.flac'}\ns2-b false |\n")
    r = sh(repo, recipe_env, "get_utt2dur.sh", d)
    assert r.returncode == 1
    assert f"{d}/wav.scp:2: recording 's2-b': command 'false' failed" in r.stderr
    assert not (d / "utt2dur").exists()
    (d / "utt2spk").write_text("s2-b s2\ns1-a s1\n")
    r = sh(repo, recipe_env, "get_num_frames.sh", d)
    assert r.returncode == 1 and f"{d}/utt2spk:2: not sorted" in r.stderr


def test_perturb_data_dir_speed(repo, recipe_env, tmp_path, monkeypatch):
    d = make_dir(tmp_path)
    assert sh(repo, recipe_env, "get_utt2dur.sh", d).returncode == 0
    r = sh(repo, recipe_env, "perturb_data_dir_speed.sh", "1.25", d, tmp_path / "sp")
    assert r.returncode == 0, r.stderr
    sp = tmp_path / "sp"
    dd = validate_data_dir(sp, no_feats=True, check_audio=False)
    assert dd.utts == ["sp1.25-s1-a", "sp1.25-s2-b"]
    assert (sp / "spk2utt").read_text() == "sp1.25-s1 sp1.25-s1-a\nsp1.25-s2 sp1.25-s2-b\n"
    assert (sp / "utt2dur").read_text() == "sp1.25-s1-a 0.4\nsp1.25-s2-b 0.6\n"
    # the pipes really produce faster audio at the source rate, as sox speed does
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{recipe_env['PATH']}")
    monkeypatch.setenv("PYTHONPATH", recipe_env["PYTHONPATH"])
    reader = AudioReader(sp / "wav.scp", sample_rate=None)
    wav_a, sr_a = reader.read("sp1.25-s1-a")
    wav_b, sr_b = reader.read("sp1.25-s2-b")
    assert (sr_a, len(wav_a)) == (8000, 3200) and (sr_b, len(wav_b)) == (16000, 9600)
    peak_b = np.argmax(np.abs(np.fft.rfft(wav_b))) * sr_b / len(wav_b)
    assert abs(peak_b - 625) < 5  # 500 Hz x 1.25
    # the durations written match the audio; rerunning get_utt2dur decodes the pipes
    (sp / "utt2dur").unlink()
    assert sh(repo, recipe_env, "get_utt2dur.sh", sp).returncode == 0
    assert (sp / "utt2dur").read_text() == "sp1.25-s1-a 0.4\nsp1.25-s2-b 0.6\n"
    r = sh(repo, recipe_env, "perturb_data_dir_speed.sh", "fast", d, tmp_path / "x")
    assert r.returncode == 1 and "speed factor must be a number, got 'fast'" in r.stderr
    assert not (tmp_path / "x").exists()
    r = sh(repo, recipe_env, "perturb_data_dir_speed.sh", "0.9", d)
    assert r.returncode == 1 and "Usage" in r.stderr
    assert read_kv(d / "utt2spk") == {"s1-a": "s1", "s2-b": "s2"}
