"""Offline augmentation on real data: minivox dev + musan_mini + RIRS_NOISES_mini."""

from __future__ import annotations

import numpy as np
import pytest
from minivox_data import make_minivox_dir

from Process_Data.audio import read_audio
from Process_Data.augment import AugmentationError
from Process_Data.augment.add_noise import power
from Process_Data.augment.descriptor import parse_entry, read_entry
from Process_Data.augment.offline import make_augmented_dir
from Process_Data.data_dir import read_kv, validate_data_dir


@pytest.fixture
def aug_dir(shared_data, tmp_path):
    clean = make_minivox_dir(shared_data, tmp_path / "clean")
    rirs = shared_data / "RIRS_NOISES_mini" / "simulated_rirs"
    counts = make_augmented_dir(
        clean, tmp_path / "aug", subset_factor=0, seed=3,
        rir_set_parameters=f"0.5, {rirs}/smallroom/rir_list; 0.5, {rirs}/mediumroom/rir_list",
        musan_root=str(shared_data / "musan_mini"),
    )
    return clean, tmp_path / "aug", counts


def test_augmented_dirs_validate_and_match_requests(aug_dir):
    clean, aug, counts = aug_dir
    assert counts == {"clean": 4, "reverb": 4, "noise": 4, "music": 4, "babble": 4, "combined": 16}
    for kind in ("reverb", "noise", "music", "babble"):
        dd = validate_data_dir(aug / "parts" / kind, no_feats=True)
        assert all(u.endswith("-" + kind) for u in dd.utts)
    dd = validate_data_dir(aug, no_feats=True)
    clean_wav = read_kv(clean / "wav.scp")
    for utt, entry in dd.tables["wav.scp"].items():
        base, kind = utt.rsplit("-", 1)
        x = read_audio(clean_wav[base], 16000)[0]
        y = read_entry(entry)
        plan, _ = parse_entry(entry)
        assert len(y) == len(x) and not np.allclose(x, y)
        if kind == "music":  # one background noise: the SNR is exact
            (snr, _), = plan.bg
            assert 10 * np.log10(power(x) / power(y - x)) == pytest.approx(snr, abs=0.01)
        if kind == "reverb":
            rir = read_audio(plan.rir, 16000)[0].astype(np.float64)
            d = int(np.argmax(np.abs(rir)))
            direct = np.convolve(x.astype(np.float64), rir)[d : d + len(x)]
            direct *= np.sqrt(power(x) / power(direct))
            np.testing.assert_allclose(y, direct, atol=2e-4)
        if kind == "noise":
            for start, snr, path in plan.fg:
                b = int(round(start * 16000))
                n = min(len(read_audio(path, 16000)[0]), len(x) - b)
                seg = (y - x)[b : b + n]
                assert 10 * np.log10(power(x) / power(seg)) == pytest.approx(snr, abs=0.01)


def test_same_seed_same_descriptors(shared_data, tmp_path, aug_dir):
    clean, aug, _ = aug_dir
    rirs = shared_data / "RIRS_NOISES_mini" / "simulated_rirs"
    make_augmented_dir(clean, tmp_path / "again", subset_factor=0, seed=3,
                       rir_set_parameters=f"0.5, {rirs}/smallroom/rir_list; 0.5, {rirs}/mediumroom/rir_list",
                       musan_root=str(shared_data / "musan_mini"))
    assert (tmp_path / "again" / "wav.scp").read_text() == (aug / "wav.scp").read_text()


def test_bad_inputs_fail_before_any_output(shared_data, tmp_path):
    clean = make_minivox_dir(shared_data, tmp_path / "clean", speakers=("az_01",), per_spk=1)
    empty = tmp_path / "empty_noise"
    empty.mkdir()
    (empty / "wav.scp").write_text("")
    bad_list = tmp_path / "rir_list"
    bad_list.write_text("--rir-id x --room-id r RIRS_NOISES/none/x.wav\n")
    cases = [
        ({"kinds": ["noise"], "noise_dir": str(empty)}, "has no audio"),
        ({"kinds": ["reverb"], "rir_set_parameters": f"1.0, {bad_list}"}, r"rir_list:1: RIR file not found"),
        ({"kinds": ["music"], "music_dir": str(shared_data / "musan_mini/music"), "music_snrs": "5:1O"}, "music-snrs"),
    ]
    for kw, msg in cases:
        with pytest.raises(AugmentationError, match=msg):
            make_augmented_dir(clean, tmp_path / "out", **kw)
        assert not (tmp_path / "out").exists()
