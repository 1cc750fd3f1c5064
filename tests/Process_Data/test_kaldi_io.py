"""kaldiio on real Kaldi compressed arks, ark,scp round trips, and kaldi_table.matrix_rows."""

from __future__ import annotations

import kaldiio
import numpy as np
import pytest

from Process_Data.data_dir import read_kv
from Process_Data.data_ops.frames import compute_utt2num_frames
from Process_Data.kaldi_table import feats_num_frames, matrix_rows


def test_real_kaldi_compressed_feats(shared_data, monkeypatch):
    oracle = shared_data / "oracles" / "kaldi_data_dir"
    # feats.scp names its arks relative to the data dir (data/x.ark): read from there
    monkeypatch.chdir(oracle)
    feats = dict(kaldiio.load_scp("feats.scp"))
    shapes = {utt: feats[utt].shape for utt in feats}
    assert shapes == {
        "lbi-3536-23268-0000": (1987, 13),
        "lbi-6241-61943-0000": (693, 13),
        "lbi-8842-304647-0000": (969, 13),
    }
    for mat in feats.values():
        assert mat.dtype == np.float32 and np.isfinite(mat).all()
    # header-only frame counts agree with the matrices and with Kaldi's own utt2num_frames
    expected = {u: int(n) for u, n in read_kv("utt2num_frames").items()}
    assert feats_num_frames("feats.scp") == expected == {u: s[0] for u, s in shapes.items()}


def test_num_frames_of_oracle_from_feats_and_from_durations(shared_data, tmp_path):
    oracle = shared_data / "oracles" / "kaldi_data_dir"
    d = tmp_path / "d"
    d.mkdir()
    for name in ("utt2spk", "spk2utt", "utt2dur", "spk2gender"):
        (d / name).write_bytes((oracle / name).read_bytes())
    # absolute paths to the read-only arks (the scp's are relative to the oracle dir)
    (d / "feats.scp").write_text(
        "".join(
            f"{u} {oracle / ref}\n" for u, ref in read_kv(oracle / "feats.scp").items()
        )
    )
    expected = {u: int(n) for u, n in read_kv(oracle / "utt2num_frames").items()}
    assert compute_utt2num_frames(d) == expected
    (d / "feats.scp").unlink()
    assert compute_utt2num_frames(d) == expected  # from utt2dur: 1 + (n - 400) // 160


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ark_scp_round_trip_matrices_and_vectors(tmp_path, dtype):
    rng = np.random.default_rng(0)
    data = {
        "a": rng.standard_normal((7, 5)).astype(dtype),
        "b": rng.standard_normal((1, 5)).astype(dtype),
        "v": rng.standard_normal(9).astype(dtype),
    }
    ark, scp = tmp_path / "x.ark", tmp_path / "x.scp"
    with kaldiio.WriteHelper(f"ark,scp:{ark},{scp}") as writer:
        for key, value in data.items():
            writer(key, value)
    loaded = dict(kaldiio.load_scp(str(scp)))
    for key, value in data.items():
        assert loaded[key].dtype == dtype
        np.testing.assert_array_equal(loaded[key], value)
    # scp offsets point at each object: reading one by offset gives that object only
    offsets = {u: ref for u, ref in read_kv(scp).items()}
    np.testing.assert_array_equal(kaldiio.load_mat(offsets["b"]), data["b"])
    assert matrix_rows(offsets["a"]) == 7 and matrix_rows(offsets["b"]) == 1


def test_compressed_ark_round_trip_and_text_ark(tmp_path):
    rng = np.random.default_rng(1)
    mat = rng.uniform(-3, 3, (50, 13)).astype(np.float32)
    ark, scp = tmp_path / "c.ark", tmp_path / "c.scp"
    with kaldiio.WriteHelper(f"ark,scp:{ark},{scp}", compression_method=2) as writer:
        writer("u", mat)
    assert ark.read_bytes()[2:6] == b"\0BCM"  # "u " then binary marker and CM token
    got = kaldiio.load_scp(str(scp))["u"]
    assert got.shape == (50, 13)
    # CM (method 2) quantises each column to 8 bits within its percentile ranges
    assert np.abs(got - mat).max() < 6 / 255 * 2
    assert matrix_rows(read_kv(scp)["u"]) == 50
    text = tmp_path / "t.ark"
    with kaldiio.WriteHelper(f"ark,t:{text}") as writer:
        writer("w", mat[:3])
    back = dict(kaldiio.load_ark(str(text)))["w"]
    np.testing.assert_allclose(back, mat[:3], rtol=1e-6)
