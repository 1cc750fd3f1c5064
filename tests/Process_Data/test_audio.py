import numpy as np
import pytest
import soundfile as sf

from Process_Data.audio import AudioError, AudioReader, read_audio, resample


def tone(sr, seconds=0.5, freq=440.0):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_flac_8k_comes_back_at_16k_same_tone(tmp_path):
    p = tmp_path / "a.flac"
    sf.write(p, tone(8000), 8000)
    wav, sr = read_audio(str(p), sample_rate=16000)
    assert sr == 16000 and wav.shape == (8000,)
    ref = tone(16000)
    # polyphase resampling of a 440 Hz tone: the middle matches the 16 kHz tone closely
    assert np.max(np.abs(wav[1000:-1000] - ref[1000:-1000])) < 0.01


def test_stereo_takes_first_channel(tmp_path):
    p = tmp_path / "s.wav"
    stereo = np.stack([tone(16000), np.zeros(8000, dtype=np.float32)], axis=1)
    sf.write(p, stereo, 16000)
    wav, _ = read_audio(str(p))
    np.testing.assert_allclose(wav, stereo[:, 0], atol=1e-4)


def test_pipe_entry_and_failing_pipe(tmp_path):
    p = tmp_path / "a.wav"
    sf.write(p, tone(16000), 16000, subtype="PCM_16")
    wav, sr = read_audio(f"cat {p} |")
    assert sr == 16000 and wav.shape == (8000,)
    with pytest.raises(AudioError, match="command 'false' failed"):
        read_audio("false |")


def test_m4a_through_ffmpeg(tmp_path):
    import subprocess

    from Process_Data.audio import ffmpeg_exe

    src = tmp_path / "a.wav"
    sf.write(src, tone(16000, 1.0), 16000)
    m4a = tmp_path / "a.m4a"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(src), "-c:a", "aac", str(m4a)], check=True
    )
    wav, sr = read_audio(str(m4a), sample_rate=16000)
    assert sr == 16000 and abs(len(wav) - 16000) < 2048


def test_missing_file_named():
    with pytest.raises(AudioError, match="audio file not found: /no/such.wav"):
        read_audio("/no/such.wav")


def test_reader_segments(tmp_path):
    p = tmp_path / "r.wav"
    x = tone(16000, 1.0)
    sf.write(p, x, 16000, subtype="FLOAT")
    reader = AudioReader({"r": str(p)}, segments={"u": ["r", "0.5", "-1"]}, sample_rate=16000)
    np.testing.assert_array_equal(reader["u"], x[8000:])
    with pytest.raises(KeyError, match="not in segments"):
        reader["nope"]


def test_resample_identity():
    x = tone(16000)
    assert resample(x, 16000, 16000) is x


def test_recipe_pipes_are_computed_in_process_with_the_commands_samples(tmp_path, recipe_env):
    """speed_perturb pipes: in-process samples equal the command's (to 16-bit rounding)."""
    import subprocess
    import sys

    from Process_Data import audio

    p = tmp_path / "a.wav"
    sf.write(p, tone(16000, 1.0), 16000)
    entry = f"python -m Process_Data.bin.speed_perturb 1.1 {p} |"
    assert audio._read_in_process(entry) is not None
    fast, sr = read_audio(entry)
    piped = subprocess.run(
        [sys.executable, "-m", "Process_Data.bin.speed_perturb", "1.1", str(p)],
        env=recipe_env, capture_output=True, check=True,
    ).stdout
    slow, sr2 = audio.decode_bytes(piped, "pipe")
    assert sr == sr2 == 16000 and fast.shape == slow.shape == (14546,)  # ceil(16000 / 1.1)
    assert np.max(np.abs(fast - slow)) < 1.0 / 32768 * 1.01
    assert audio._read_in_process("cat x |") is None


def test_pipe_readers_are_registered_by_higher_layers(tmp_path, monkeypatch):
    """audio.py imports no augmentation code: descriptors register their reader on import."""
    from Process_Data import audio

    calls = []

    def fake(entry, words):
        calls.append(words)
        return np.ones(3, np.float32), 8000

    monkeypatch.setitem(audio._PIPE_READERS, "fake.module", fake)
    wav, sr = read_audio("python -m fake.module a 'b c' |", sample_rate=16000)
    assert calls == [["a", "b c"]] and sr == 16000 and wav.shape == (6,)

    import Process_Data.augment  # noqa: F401  (registers the descriptor reader)
    from Process_Data.augment.descriptor import AugmentPlan, to_entry

    p = tmp_path / "c.wav"
    sf.write(p, tone(16000, 0.5), 16000)
    entry = to_entry(AugmentPlan(seed=1), str(p))
    assert audio._read_in_process(entry) is not None


def test_speed_change_is_the_one_speed_function():
    from Process_Data.audio import speed_change
    from Process_Data.augment.speed_perturb import SpeedPerturb

    x = tone(16000, 0.5)
    assert speed_change(x, 0.9).shape == (8889,)  # ceil(8000 / 0.9)
    np.testing.assert_array_equal(SpeedPerturb(factors=[0.9]).apply(x, 0)[0], speed_change(x, 0.9))
    with pytest.raises(AudioError, match="speed factor must be > 0, got 0"):
        speed_change(x, 0.0)
