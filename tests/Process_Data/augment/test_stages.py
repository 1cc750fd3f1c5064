"""Augmentation stages: known answers (direct convolution, measured SNR), registry, chain."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from Process_Data.audio import speed_change
from Process_Data.augment import AUGMENTATIONS, AugmentationError
from Process_Data.augment.add_noise import (
    AddNoise,
    mix,
    parse_choices,
    plan_foreground,
    snr_db,
    tile,
)
from Process_Data.augment.chain import Chain
from Process_Data.augment.descriptor import AugmentPlan, parse_entry, read_entry, render, to_entry
from Process_Data.augment.reverberate import read_rir_list, reverberate


def _speech(n=8000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + rng.uniform(-0.2, 0.2, n))).astype(np.float32)


@pytest.fixture
def audio_files(tmp_path):
    """Two noise files and a 3-tap RIR file."""
    rng = np.random.default_rng(1)
    paths = []
    for i, n in enumerate((3000, 5000)):
        p = tmp_path / f"noise{i}.wav"
        sf.write(p, rng.uniform(-0.2, 0.2, n).astype(np.float32), 16000)
        paths.append(str(p))
    rir = tmp_path / "rir.wav"
    sf.write(rir, np.array([0.1, 0.0, 0.9, 0.3, -0.2], np.float32), 16000, subtype="FLOAT")
    return paths, str(rir)


def test_reverberate_equals_direct_convolution():
    x, rir = _speech(1000), np.array([0.05, 0.2, 1.0, -0.4, 0.3, 0.1])
    d = int(np.argmax(np.abs(rir)))
    direct = np.convolve(x.astype(np.float64), rir)[d : d + len(x)]
    np.testing.assert_allclose(reverberate(x, rir, normalize=False), direct, atol=1e-5)
    y = reverberate(x, rir)
    np.testing.assert_allclose(np.mean(y.astype(np.float64) ** 2), np.mean(x.astype(np.float64) ** 2), rtol=1e-4)
    np.testing.assert_allclose(y / np.sqrt(np.mean(y**2)), direct / np.sqrt(np.mean(direct**2)), atol=1e-4)


@pytest.mark.parametrize("snr", [0.0, 7.5, 15.0])
def test_background_snr_measured_equals_requested(snr):
    x, n = _speech(), np.random.default_rng(2).standard_normal(3000).astype(np.float32)
    y = mix(x, [(0, tile(n, len(x), 123), snr)])
    assert snr_db(x, y - x) == pytest.approx(snr, abs=1e-3)


def test_foreground_layout_and_per_noise_snr(audio_files):
    paths, _ = audio_files
    aug = AddNoise(paths, mode="foreground", snrs="5:10", interval=0.1)
    x = _speech(16000)
    plan = plan_foreground(len(x), [3000, 5000], "5:10", 1600, np.random.default_rng(4))
    starts = [t for t, _, _ in plan]
    assert starts[0] == 0 and all(b > a for a, b in zip(starts, starts[1:])) and starts[-1] < len(x)
    y = aug(x, np.random.default_rng(4))
    ref = np.mean(x.astype(np.float64) ** 2)
    for t, i, s in plan:
        length = min([3000, 5000][i], len(x) - t)
        seg = (y - x)[t : t + length].astype(np.float64)
        assert 10 * np.log10(ref / np.mean(seg**2)) == pytest.approx(s, abs=1e-2)
    gaps = (y - x)[starts[0] + [3000, 5000][plan[0][1]] : starts[1]]
    assert len(gaps) == 1600 and np.all(gaps == 0)


def test_babble_mixes_several_noises(audio_files):
    paths, _ = audio_files
    aug = AddNoise(paths, mode="babble", snrs=[10, 10])
    assert aug.mode == "background" and aug.num_noises == "3:4:5:6:7"
    x = _speech(4000)
    n = AddNoise(paths, mode="background", snrs=[10, 10], num_noises=[3, 3])(x, np.random.default_rng(0)) - x
    # three independent noises, each at 10 dB: about 10 - 10 log10(3) dB in total
    assert snr_db(x, n) == pytest.approx(10 - 10 * np.log10(3), abs=1.5)


def test_speed_changes_length_and_pitch():
    x = _speech(11000)
    assert len(speed_change(x, 1.1)) == 10000 and len(speed_change(x, 0.9)) == 12223
    np.testing.assert_array_equal(speed_change(x, 1.0), x)


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_every_registered_stage_runs(name, audio_files):
    paths, rir = audio_files
    args = {
        "add_noise": {"noises": paths, "mode": "background", "snrs": [5, 10]},
        "reverberate": {"rir_set_parameters": []},
    }.get(name, {})
    if name == "reverberate":
        lst = rir.replace("rir.wav", "rir_list")
        open(lst, "w").write(f"--rir-id r1 --room-id room1 {rir}\n")
        args = {"rir_set_parameters": f"1.0, {lst}"}
    stage = AUGMENTATIONS.build(name, **args)
    x = _speech(800) if stage.domain == "wave" else np.ones((20, 8), np.float32)
    y1, y2 = stage(x, np.random.default_rng(0)), stage(x, np.random.default_rng(0))
    np.testing.assert_array_equal(y1, y2)
    assert y1.dtype == np.float32 and y1.ndim == x.ndim


def test_spec_augment_masks_within_limits():
    stage = AUGMENTATIONS.build("spec_augment", num_time_masks=2, max_time_width=3,
                                num_freq_masks=1, max_freq_width=2)
    y = stage(np.ones((50, 10), np.float32), np.random.default_rng(3))
    assert 1 <= (y == 0).any(axis=1).sum() <= 50
    assert (y == 0).all(axis=1).sum() <= 6 and (y == 0).all(axis=0).sum() <= 2


def test_chain_config_probabilities_and_errors(audio_files):
    paths, _ = audio_files
    cfg = {"stages": [
        {"name": "speed_perturb", "prob": 1.0, "args": {"factors": [0.5], "as_new_speakers": True}},
        {"one_of": [{"name": "add_noise", "args": {"noises": paths, "mode": "background", "snrs": [5, 5]}}],
         "prob": 0.0},
        {"name": "spec_augment", "prob": 1.0},
    ]}
    chain = Chain.from_config(cfg)
    y, k = chain.apply_wave(_speech(1000), np.random.default_rng(0))
    assert len(y) == 2000 and k == 0 and chain.num_classes(10) == 10
    with pytest.raises(AugmentationError, match="unknown key"):
        Chain.from_config({"stages": [{"name": "spec_augment", "probability": 1}]})
    with pytest.raises(AugmentationError, match="valid names"):
        Chain.from_config({"stages": [{"name": "add_nosie"}]})
    with pytest.raises(AugmentationError, match="unknown argument"):
        Chain.from_config({"stages": [{"name": "spec_augment", "args": {"width": 3}}]})


def test_descriptor_pipe_equals_in_process(audio_files, tmp_path, recipe_env):
    paths, rir = audio_files
    clean = tmp_path / "clean.wav"
    sf.write(clean, _speech(4000), 16000, subtype="FLOAT")
    plan = AugmentPlan(rir=rir, fg=[(0.0, 5.0, paths[0])], bg=[(10.0, paths[1])], seed=9)
    entry = to_entry(plan, str(clean), python=sys.executable)
    assert parse_entry(entry) == (plan, str(clean))
    out = subprocess.run(entry[:-1], shell=True, capture_output=True, env=recipe_env, check=True).stdout
    piped, sr = sf.read(__import__("io").BytesIO(out), dtype="float32")
    np.testing.assert_array_equal(piped, read_entry(entry))
    np.testing.assert_array_equal(piped, render(plan, _speech(4000)))


def test_bad_inputs_error_clearly(tmp_path):
    with pytest.raises(AugmentationError, match="fg-snrs"):
        parse_choices("15:ten", "fg-snrs")
    lst = tmp_path / "rir_list"
    lst.write_text("--rir-id a --room-id r a.wav\n--rir-id b --room-id r missing.wav\n")
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(AugmentationError, match=r"rir_list:2: RIR file not found: missing.wav"):
        read_rir_list(lst)
    with pytest.raises(AugmentationError, match="no audio"):
        AddNoise([], mode="background")
