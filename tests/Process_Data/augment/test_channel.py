"""Channel stages: telephone band (+ mu-law) and device gain/EQ, with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from Process_Data.augment import AUGMENTATIONS, AugmentationError
from Process_Data.augment.chain import Chain
from Process_Data.augment.channel import Device, Telephone, mulaw_decode, mulaw_encode

SR = 16000


def tone(hz, amp=0.5, n=SR):
    return (amp * np.sin(2 * np.pi * hz * np.arange(n) / SR)).astype(np.float32)


def band_energy(x, lo, hi):
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return float(spec[(f >= lo) & (f < hi)].sum())


def test_telephone_keeps_the_phone_band_and_removes_what_is_above_4khz():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.1, SR).astype(np.float32)
    y = Telephone(mulaw_prob=0.0)(noise, rng)
    assert y.shape == noise.shape
    assert band_energy(y, 4200, 8000) < 1e-3 * band_energy(noise, 4200, 8000)
    assert band_energy(y, 300, 3400) == pytest.approx(band_energy(noise, 300, 3400), rel=0.05)
    inside = tone(1000)
    out = Telephone(mulaw_prob=0.0)(inside, rng)
    assert np.abs(out - inside)[200:-200].max() < 2e-3  # a 1 kHz tone passes unchanged


def test_mulaw_is_g711_8_bit_companding():
    x = np.linspace(-1, 1, 10001)
    code = mulaw_encode(x)
    assert code.dtype == np.uint8 and code.min() == 0 and code.max() == 255
    err = np.abs(mulaw_decode(code) - x)
    # the step grows with the amplitude: fine near 0, about 3% of full scale at the top
    assert err[np.abs(x) < 0.01].max() < 5e-4 and err.max() < 0.035
    rng = np.random.default_rng(1)
    with_law = Telephone(mulaw_prob=1.0)(tone(1000), rng)
    without = Telephone(mulaw_prob=0.0)(tone(1000), rng)
    diff = np.abs(with_law - without)[200:-200]
    assert 1e-4 < diff.max() < 0.03  # quantisation noise, not a different signal


def test_device_gain_and_highpass():
    rng = np.random.default_rng(2)
    dev = Device(gain_db=(6.0, 6.0), highpass_hz=(300.0, 300.0), peak_db=(0.0, 0.0))
    mid = dev(tone(2000, 0.1), rng)
    assert np.sqrt((mid[1000:] ** 2).mean()) / np.sqrt((tone(2000, 0.1) ** 2).mean()) \
        == pytest.approx(10 ** (6 / 20), rel=0.03)
    low = dev(tone(40, 0.1), rng)
    assert np.sqrt((low[4000:] ** 2).mean()) < 0.3 * 2 * np.sqrt((tone(40, 0.1) ** 2).mean())
    a = Device()(tone(500), np.random.default_rng(3))
    b = Device()(tone(500), np.random.default_rng(3))
    assert np.array_equal(a, b) and np.abs(a).max() <= 1.0


def test_channel_stages_in_an_online_chain_and_bad_options():
    assert {"telephone", "device"} <= set(AUGMENTATIONS.names())
    chain = Chain.from_config({"sample_rate": SR, "stages": [
        {"name": "telephone", "prob": 1.0, "args": {"mulaw_prob": 0.5}},
        {"name": "device", "prob": 1.0}]})
    y, _ = chain.apply_wave(tone(6000), np.random.default_rng(0))
    assert len(y) == SR and np.abs(y[400:-400]).max() < 0.02
    with pytest.raises(AugmentationError, match="narrow_rate 16000 must be in"):
        Telephone(narrow_rate=16000)
    with pytest.raises(AugmentationError, match="gain_db must be"):
        Device(gain_db=(3.0, -3.0))


def clean_dir(tmp_path):
    """A 6-utterance data dir of white noise (2 speakers) with a trial list."""
    import soundfile as sf

    clean = tmp_path / "clean"
    clean.mkdir()
    rng = np.random.default_rng(1)
    wavs, spk = [], []
    for i in sorted(range(6), key=lambda i: (i % 2, i)):
        path = tmp_path / f"s{i % 2}_u{i}.wav"
        sf.write(path, rng.normal(0, 0.1, SR).astype(np.float32), SR, subtype="FLOAT")
        wavs.append(f"s{i % 2}_u{i} {path}\n")
        spk.append(f"s{i % 2}_u{i} s{i % 2}\n")
    (clean / "wav.scp").write_text("".join(wavs))
    (clean / "utt2spk").write_text("".join(spk))
    (clean / "spk2utt").write_text("s0 s0_u0 s0_u2 s0_u4\ns1 s1_u1 s1_u3 s1_u5\n")
    (clean / "trials_x").write_text("s0_u0 s0_u2 target\ns0_u0 s1_u1 nontarget\n")
    return clean


def test_offline_channel_copies_render_the_channel_from_their_descriptor(tmp_path):
    """Offline kinds telephone/device: the wav.scp descriptor reproduces the channel."""
    from Process_Data.audio import read_audio
    from Process_Data.augment.descriptor import parse_entry
    from Process_Data.augment.offline import make_augmented_dir
    from Process_Data.data_dir import read_kv

    clean = clean_dir(tmp_path)
    counts = make_augmented_dir(clean, tmp_path / "aug", kinds=["telephone", "device"],
                                subset_factor=0, seed=5)
    assert counts["telephone"] == counts["device"] == 6 and counts["combined"] == 12
    entries = read_kv(tmp_path / "aug" / "wav.scp")
    channels = {parse_entry(e)[0].channel for u, e in entries.items() if u.endswith("-telephone")}
    assert channels == {"telephone", "telephone-mulaw"}  # both, from the seed
    for utt, entry in entries.items():
        x = read_audio(str(tmp_path / f"{utt.rsplit('-', 1)[0]}.wav"), SR)[0]
        y = read_audio(entry, SR)[0]
        assert y.shape == x.shape
        if utt.endswith("-telephone"):  # nothing above the 4 kHz band is left
            assert band_energy(y, 4200, 8000) < 1e-2 * band_energy(x, 4200, 8000)
        else:  # a device: the high-pass takes most of what is below 40 Hz away, unless clipped
            assert not np.allclose(y, x, atol=1e-3)
        assert np.array_equal(y, read_audio(entry, SR)[0])  # deterministic


def test_channel_copy_of_a_test_set_keeps_ids_and_trials(tmp_path):
    from Process_Data.audio import read_audio
    from Process_Data.bin.channel_data_dir import main
    from Process_Data.data_dir import read_kv

    clean = clean_dir(tmp_path)
    assert main(["--channel", "telephone-mulaw", str(clean), str(tmp_path / "tel")]) == 0
    tel = tmp_path / "tel"
    assert (tel / "trials_x").read_text() == (clean / "trials_x").read_text()
    assert read_kv(tel / "utt2spk") == read_kv(clean / "utt2spk")
    for utt, entry in read_kv(tel / "wav.scp").items():
        x = read_audio(read_kv(clean / "wav.scp")[utt], SR)[0]
        y = read_audio(entry, SR)[0]
        assert band_energy(y, 4200, 8000) < 1e-2 * band_energy(x, 4200, 8000)
        # mu-law quantisation noise: within the phone band the copy differs from a plain
        # 8 kHz round trip by more than float rounding, but keeps most of the energy
        plain = Telephone(mulaw_prob=0.0)(x, np.random.default_rng(0))
        err = band_energy(y - plain, 300, 3400) / band_energy(plain, 300, 3400)
        assert 1e-5 < err < 0.1
    (tel / "data").mkdir()  # stands for the features made from the copy
    mtime = (tel / "wav.scp").stat().st_mtime_ns
    assert main(["--channel", "telephone-mulaw", str(clean), str(tel)]) == 0
    assert (tel / "data").is_dir() and (tel / "wav.scp").stat().st_mtime_ns == mtime  # untouched
    assert main(["--channel", "telephone", str(clean), str(tel)]) == 0
    assert not (tel / "data").exists()  # another channel replaces the copy
    assert main(["--channel", "telephone", str(clean), str(clean)]) == 1  # dest is src
