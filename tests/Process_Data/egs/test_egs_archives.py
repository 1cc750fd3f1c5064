"""make_egs: counts, speakers, held-out set, chunk contents, reproducibility, bad input."""

from __future__ import annotations

import hashlib

import kaldiio
import numpy as np
import pytest

from Process_Data.data_dir import read_kv
from Process_Data.egs import EgsError, EgsOptions, make_egs
from Process_Data.egs.dataset import iter_archive
from Process_Data.egs.make_egs import read_info, read_ranges

OPTS = dict(min_len=20, min_frames=10, max_frames=20, num_repeats=2, num_archives=3,
            num_valid_utts=2, num_diagnostic_egs=5)


def _digest(d):
    h = hashlib.sha256()
    for p in sorted(d.glob("egs.*.ark")) + sorted(d.glob("egs.*.labels")):  # scp names the dir
        h.update(p.read_bytes())
    return h.hexdigest()


def test_counts_speakers_and_contents(feats_dir, tmp_path):
    stats = make_egs(feats_dir, tmp_path / "egs", EgsOptions(seed=1, **OPTS))
    info = read_info(tmp_path / "egs")
    assert info["num_speakers"] == "4" and info["feat_dim"] == "5" and info["num_archives"] == "3"
    lo, hi = map(int, info["frames_per_eg"].split())
    assert 10 <= lo <= hi <= 20
    ranges = {}
    labels = []
    for j in (1, 2, 3):
        for key, utt, start, length, label in read_ranges(tmp_path / "egs" / "temp" / f"ranges.{j}"):
            ranges[key] = (utt, start, length, label)
        for mat, label in iter_archive(str(tmp_path / "egs" / f"egs.{j}.ark")):
            labels.append(label)
            assert mat.shape[1] == 5 and lo <= len(mat) <= hi
            assert int(mat[0, 0]) == label  # column 0 holds the speaker index
    assert len(labels) == len(ranges) == int(info["num_egs"]) == stats["num_egs"]
    assert set(labels) == {0, 1, 2, 3}
    counts = np.bincount(labels)
    assert counts.min() == counts.max()  # class-balanced
    # the frames are the right ones: VAD drops the first n//10 frames, column 2 is the time
    vad = {u: kaldiio.load_mat(e) for u, e in read_kv(feats_dir / "vad.scp").items()}
    scp = read_kv(tmp_path / "egs" / "egs.1.scp")
    for key, entry in list(scp.items())[:5]:
        utt, start, length, _ = ranges[key]
        skipped = int((vad[utt] <= 0.5).sum())
        np.testing.assert_array_equal(kaldiio.load_mat(entry)[:, 2], np.arange(length) + start + skipped)
    # held-out utterances never appear in training egs, and their speakers do
    valid = read_ranges(tmp_path / "egs" / "temp" / "valid_egs.ranges")
    held = {u for _, u, *_ in valid}
    assert len(held) == 2 and not held & {u for u, *_ in ranges.values()}
    assert {lab for *_, lab in valid} <= set(labels)
    assert len(read_kv(tmp_path / "egs" / "train_diagnostic.scp")) == 5


def test_same_seed_same_bytes_different_seed_different_order(feats_dir, tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        make_egs(feats_dir, tmp_path / name, EgsOptions(seed=seed, **OPTS))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    keys = [list(read_kv(tmp_path / n / "egs.1.scp")) for n in "ac"]
    assert keys[0] != keys[1]


def test_h5_and_compressed_match_ark(feats_dir, tmp_path):
    make_egs(feats_dir, tmp_path / "ark", EgsOptions(seed=1, cmn_window=15, **OPTS))
    make_egs(feats_dir, tmp_path / "h5", EgsOptions(seed=1, cmn_window=15, format="h5", **OPTS))
    make_egs(feats_dir, tmp_path / "cm", EgsOptions(seed=1, cmn_window=15, compress=True, **OPTS))
    a = list(iter_archive(str(tmp_path / "ark" / "egs.2.ark")))
    h = list(iter_archive(str(tmp_path / "h5" / "egs.2.h5"), read_block_mb=0.0001))
    c = list(iter_archive(str(tmp_path / "cm" / "egs.2.ark")))
    assert [lab for _, lab in a] == [lab for _, lab in h] == [lab for _, lab in c]
    for (ma, _), (mh, _), (mc, _) in zip(a, h, c):
        np.testing.assert_array_equal(ma, mh)
        np.testing.assert_allclose(ma, mc, atol=0.05 * (np.abs(ma).max() + 1))
        assert abs(float(ma[:, 3:].mean())) < 2.0  # sliding CMN was applied


def sliding_cmvn(x, window):
    from Process_Data.features.frontend import Frontend

    return Frontend("", cmn="sliding", cmn_window=window).from_feats(x)


def test_sliding_cmvn_matches_loop():
    x = np.random.default_rng(0).standard_normal((37, 3)).astype(np.float32)
    w = 10
    want = np.empty_like(x)
    for t in range(len(x)):
        b = max(0, min(t - w // 2, len(x) - w))
        want[t] = x[t] - x[b : b + w].mean(axis=0)
    np.testing.assert_allclose(sliding_cmvn(x, w), want, atol=1e-5)
    np.testing.assert_allclose(sliding_cmvn(x[:5], w), x[:5] - x[:5].mean(axis=0), atol=1e-6)


def test_bad_input_errors_before_work(feats_dir, tmp_path):
    with pytest.raises(EgsError, match="--min-frames 30 > --max-frames 20"):
        make_egs(feats_dir, tmp_path / "e", EgsOptions(min_frames=30, max_frames=20))
    (feats_dir / "vad.scp").unlink()
    with pytest.raises(EgsError, match="vad.scp: missing"):
        make_egs(feats_dir, tmp_path / "e", EgsOptions(**OPTS))
    with pytest.raises(EgsError, match="--min-len"):
        make_egs(feats_dir, tmp_path / "e", EgsOptions(**{**OPTS, "min_len": 1000, "use_vad": False}))
    assert not (tmp_path / "e" / "egs.1.ark").exists()
