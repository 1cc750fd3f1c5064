"""Process_Data.data_ops.lines and .split: filter_scp, split_lines, split_data_dir."""

from __future__ import annotations

import io
import os

import pytest
from tiny_dirs import make_data_dir

from Process_Data.data_dir import DataDirError, read_kv, validate_data_dir, write_kv
from Process_Data.data_ops import lines, split


def test_split_counts_and_group_balance():
    assert split.split_counts(10, 3) == [4, 3, 3]
    lines = [f"s{s}-{k} s{s}" for s, n in enumerate([5, 1, 1, 1, 4]) for k in range(n)]
    u2s = {line.split()[0]: line.split()[1] for line in lines}
    parts = split.split_lines(lines, 2, u2s)
    # 12 lines: the best cut keeping speakers whole is 6 / 6 (5+1 | 1+1+4)
    assert [len(p) for p in parts] == [6, 6]
    assert sum(parts, []) == lines
    assert [len(p) for p in split.split_lines(lines, 5, u2s)] == [5, 1, 1, 1, 4]
    with pytest.raises(DataDirError, match="cannot split 5 speaker"):
        split.split_lines(lines, 6, u2s)
    with pytest.raises(DataDirError, match=r"x:3: lines of speaker 'a' are not contiguous"):
        split.split_lines(["a-1 a", "b-1 b", "a-2 a"], 2, {"a-1": "a", "b-1": "b", "a-2": "a"}, "x")


def test_filter_scp_field_and_exclude(tmp_path):
    (tmp_path / "ids").write_text("r2\nr9\n")
    (tmp_path / "segs").write_text("u1 r1 0 1\nu2 r2 0 1\nu3 r2 1 2\n")
    buf = io.StringIO()
    assert lines.filter_scp(str(tmp_path / "ids"), str(tmp_path / "segs"), buf, field=2) == 2
    assert buf.getvalue() == "u2 r2 0 1\nu3 r2 1 2\n"
    buf = io.StringIO()
    lines.filter_scp(str(tmp_path / "ids"), str(tmp_path / "segs"), buf, field=2, exclude=True)
    assert buf.getvalue() == "u1 r1 0 1\n"
    with pytest.raises(DataDirError, match=r"segs:1: has 4 field\(s\), -f 5"):
        lines.filter_scp(str(tmp_path / "ids"), str(tmp_path / "segs"), io.StringIO(), 5)


def test_split_data_dir_per_speaker_and_per_utt(tmp_path):
    d = make_data_dir(tmp_path)
    sdir = split.split_data_dir(d, 2)
    assert sdir == d / "split2"
    parts = [validate_data_dir(sdir / str(k), no_feats=True) for k in (1, 2)]
    # 6 utterances, speakers 3+2+1: keeping speakers whole, 3 | 3
    assert [p.speakers for p in parts] == [["spkA"], ["spkB", "spkC"]]
    assert read_kv(sdir / "2" / "spk2gender") == {"spkB": "m", "spkC": "m"}
    assert set(read_kv(sdir / "2" / "utt2dur")) == {"spkB-u0", "spkB-u1", "spkC-u0"}
    with pytest.raises(DataDirError, match="cannot split 3 speaker"):
        split.split_data_dir(d, 4)
    assert not (d / "split4").exists()
    udir = split.split_data_dir(d, 4, per_utt=True)
    assert udir == d / "split4utt"
    assert [len(read_kv(udir / str(k) / "utt2spk")) for k in range(1, 5)] == [2, 2, 1, 1]
    assert split.split_is_current(d, udir, 4)
    os.utime(d / "utt2dur", (2e9, 2e9))  # utt2dur changed after the split: stale
    assert not split.split_is_current(d, udir, 4)


def test_split_follows_segments(tmp_path):
    d = make_data_dir(tmp_path)
    # every utterance is a segment of its speaker's first recording
    segs = {u: [f"{s}-u0", "0", "0.2"] for u, s in read_kv(d / "utt2spk").items()}
    write_kv(d / "segments", segs)
    sdir = split.split_data_dir(d, 3)
    for k in (1, 2, 3):
        part = validate_data_dir(sdir / str(k), no_feats=True)
        assert list(part.tables["wav.scp"]) == [f"{s}-u0" for s in part.speakers]
