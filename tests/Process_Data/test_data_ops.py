"""Process_Data.data_ops: split/filter/subset/combine/copy/durations/speed on tiny data dirs."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from Process_Data import data_ops
from Process_Data.data_dir import (
    DataDirError,
    read_kv,
    utt2spk_to_spk2utt,
    validate_data_dir,
    write_kv,
)

# speaker -> number of utterances; utterance k (0-based) lasts (k + 1) * 0.25 s
SPEAKERS = {"spkA": 3, "spkB": 2, "spkC": 1}


def make_data_dir(root: Path, name: str = "data", speakers=None, rate: int = 16000) -> Path:
    """A valid data dir with real WAV files; returns its path."""
    d = root / name
    d.mkdir(parents=True)
    wav, utt2spk, utt2dur = {}, {}, {}
    for spk, n in (speakers or SPEAKERS).items():
        for k in range(n):
            utt = f"{spk}-u{k}"
            dur = (k + 1) * 0.25
            t = np.arange(int(dur * rate)) / rate
            path = root / f"{name}_{utt}.wav"
            sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate)
            wav[utt], utt2spk[utt], utt2dur[utt] = str(path), spk, str(dur)
    write_kv(d / "wav.scp", wav)
    write_kv(d / "utt2spk", utt2spk)
    write_kv(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    write_kv(d / "utt2dur", utt2dur)
    write_kv(d / "spk2gender", {s: "m" for s in (speakers or SPEAKERS)})
    return d


def test_split_counts_and_group_balance():
    assert data_ops.split_counts(10, 3) == [4, 3, 3]
    lines = [f"s{s}-{k} s{s}" for s, n in enumerate([5, 1, 1, 1, 4]) for k in range(n)]
    u2s = {line.split()[0]: line.split()[1] for line in lines}
    parts = data_ops.split_lines(lines, 2, u2s)
    # 12 lines: the best cut keeping speakers whole is 6 / 6 (5+1 | 1+1+4)
    assert [len(p) for p in parts] == [6, 6]
    assert sum(parts, []) == lines
    assert [len(p) for p in data_ops.split_lines(lines, 5, u2s)] == [5, 1, 1, 1, 4]
    with pytest.raises(DataDirError, match="cannot split 5 speaker"):
        data_ops.split_lines(lines, 6, u2s)
    with pytest.raises(DataDirError, match=r"x:3: lines of speaker 'a' are not contiguous"):
        data_ops.split_lines(["a-1 a", "b-1 b", "a-2 a"], 2, {"a-1": "a", "b-1": "b", "a-2": "a"}, "x")


def test_filter_scp_field_and_exclude(tmp_path):
    (tmp_path / "ids").write_text("r2\nr9\n")
    (tmp_path / "segs").write_text("u1 r1 0 1\nu2 r2 0 1\nu3 r2 1 2\n")
    buf = io.StringIO()
    assert data_ops.filter_scp(str(tmp_path / "ids"), str(tmp_path / "segs"), buf, field=2) == 2
    assert buf.getvalue() == "u2 r2 0 1\nu3 r2 1 2\n"
    buf = io.StringIO()
    data_ops.filter_scp(str(tmp_path / "ids"), str(tmp_path / "segs"), buf, field=2, exclude=True)
    assert buf.getvalue() == "u1 r1 0 1\n"
    with pytest.raises(DataDirError, match=r"segs:1: has 4 field\(s\), -f 5"):
        data_ops.filter_scp(str(tmp_path / "ids"), str(tmp_path / "segs"), io.StringIO(), 5)


def test_split_data_dir_per_speaker_and_per_utt(tmp_path):
    d = make_data_dir(tmp_path)
    sdir = data_ops.split_data_dir(d, 2)
    assert sdir == d / "split2"
    parts = [validate_data_dir(sdir / str(k), no_feats=True) for k in (1, 2)]
    # 6 utterances, speakers 3+2+1: keeping speakers whole, 3 | 3
    assert [p.speakers for p in parts] == [["spkA"], ["spkB", "spkC"]]
    assert read_kv(sdir / "2" / "spk2gender") == {"spkB": "m", "spkC": "m"}
    assert set(read_kv(sdir / "2" / "utt2dur")) == {"spkB-u0", "spkB-u1", "spkC-u0"}
    with pytest.raises(DataDirError, match="cannot split 3 speaker"):
        data_ops.split_data_dir(d, 4)
    assert not (d / "split4").exists()
    udir = data_ops.split_data_dir(d, 4, per_utt=True)
    assert udir == d / "split4utt"
    assert [len(read_kv(udir / str(k) / "utt2spk")) for k in range(1, 5)] == [2, 2, 1, 1]
    assert data_ops.split_is_current(d, udir, 4)
    os.utime(d / "utt2dur", (2e9, 2e9))  # utt2dur changed after the split: stale
    assert not data_ops.split_is_current(d, udir, 4)


def test_split_follows_segments(tmp_path):
    d = make_data_dir(tmp_path)
    # every utterance is a segment of its speaker's first recording
    segs = {u: [f"{s}-u0", "0", "0.2"] for u, s in read_kv(d / "utt2spk").items()}
    write_kv(d / "segments", segs)
    sdir = data_ops.split_data_dir(d, 3)
    for k in (1, 2, 3):
        part = validate_data_dir(sdir / str(k), no_feats=True)
        assert list(part.tables["wav.scp"]) == [f"{s}-u0" for s in part.speakers]


@pytest.mark.parametrize(
    "selection, expected",
    [
        ({"first": 2}, ["spkA-u0", "spkA-u1"]),
        ({"last": 2}, ["spkB-u1", "spkC-u0"]),
        ({"shortest": 3}, ["spkA-u0", "spkB-u0", "spkC-u0"]),
        ({"per_spk": 1}, ["spkA-u0", "spkB-u0", "spkC-u0"]),
    ],
)
def test_subset_selections(tmp_path, selection, expected):
    d = make_data_dir(tmp_path)
    dd = data_ops.subset_data_dir(d, tmp_path / "sub", **selection)
    assert dd.utts == expected
    assert validate_data_dir(tmp_path / "sub", no_feats=True).utts == expected


def test_subset_random_is_seeded_and_lists_are_checked(tmp_path):
    d = make_data_dir(tmp_path)
    a = data_ops.subset_data_dir(d, tmp_path / "a", random_n=3, seed=5).utts
    b = data_ops.subset_data_dir(d, tmp_path / "b", random_n=3, seed=5).utts
    assert a == b and len(a) == 3
    (tmp_path / "spk").write_text("spkB\n")
    assert data_ops.subset_data_dir(d, tmp_path / "c", spk_list=tmp_path / "spk").speakers == ["spkB"]
    (tmp_path / "utts").write_text("spkA-u1\nnope\n")
    with pytest.raises(DataDirError, match=r"utts:2: utterance 'nope' is not in"):
        data_ops.subset_data_dir(d, tmp_path / "d", utt_list=tmp_path / "utts")
    with pytest.raises(DataDirError, match="cannot select 7 utterance"):
        data_ops.subset_data_dir(d, tmp_path / "d", first=7)
    assert not (tmp_path / "d").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".d.")]


def test_combine_and_duplicate_ids(tmp_path):
    a = make_data_dir(tmp_path, "a", {"x": 2})
    b = make_data_dir(tmp_path, "b", {"y": 1})
    (b / "utt2dur").unlink()
    dd, notes = data_ops.combine_data_dirs(tmp_path / "ab", [a, b])
    assert dd.utts == ["x-u0", "x-u1", "y-u0"]
    assert not (tmp_path / "ab" / "utt2dur").exists() and "utt2dur" in notes[0]
    assert (tmp_path / "ab" / "spk2utt").read_text() == "x x-u0 x-u1\ny y-u0\n"
    with pytest.raises(DataDirError, match=r"a/utt2spk: utterance 'x-u0' is also in .*a/utt2spk"):
        data_ops.combine_data_dirs(tmp_path / "aa", [a, a])
    assert not (tmp_path / "aa").exists()


def test_copy_with_prefixes_and_bad_suffix(tmp_path):
    d = make_data_dir(tmp_path, speakers={"s1": 2})
    dd = data_ops.copy_data_dir(d, tmp_path / "c", utt_prefix="p-", spk_prefix="p-", utt_suffix="-x")
    assert dd.utts == ["p-s1-u0-x", "p-s1-u1-x"]
    assert read_kv(tmp_path / "c" / "spk2gender") == {"p-s1": "m"}
    assert list(read_kv(tmp_path / "c" / "wav.scp")) == dd.utts
    with pytest.raises(DataDirError, match="speaker 's1-y' would not be a prefix of utterance 's1-u0'"):
        data_ops.copy_data_dir(d, tmp_path / "e", spk_suffix="-y")
    assert not (tmp_path / "e").exists()


def test_num_frames_from_duration_matches_kaldi_oracle():
    # utt2dur / utt2num_frames of the real Kaldi data dir in ../shared/data/oracles
    assert [data_ops.num_frames_from_duration(x) for x in (19.89, 6.95, 9.71)] == [1987, 693, 969]
    assert data_ops.num_frames_from_duration(0.025) == 1
    assert data_ops.num_frames_from_duration(0.0249) == 0


def test_utt2dur_reco2dur_and_frames(tmp_path):
    d = make_data_dir(tmp_path)
    (d / "utt2dur").unlink()
    durs = data_ops.compute_utt2dur(d, nj=2)
    assert durs["spkA-u2"] == pytest.approx(0.75)
    assert read_kv(d / "utt2dur")["spkA-u1"] == "0.5"
    assert data_ops.compute_reco2dur(d)["spkC-u0"] == pytest.approx(0.25)
    frames = data_ops.compute_utt2num_frames(d)
    assert frames["spkA-u0"] == 23  # 1 + (4000 - 400) // 160
    (d / "frame_shift").write_text("0.02\n")
    assert data_ops.compute_utt2num_frames(d)["spkA-u0"] == 12  # 1 + (4000 - 400) // 320


def test_utt2dur_names_unreadable_audio(tmp_path):
    d = make_data_dir(tmp_path)
    Path(read_kv(d / "wav.scp")["spkB-u0"]).write_bytes(b"not audio")
    with pytest.raises(DataDirError, match=r"wav.scp:4: recording 'spkB-u0'.*could not read"):
        data_ops.compute_utt2dur(d)


def test_perturb_speed_dir_and_pipe(tmp_path, recipe_env, monkeypatch):
    d = make_data_dir(tmp_path, speakers={"s": 1})
    out = data_ops.perturb_data_dir_speed("1.25", d, tmp_path / "sp")
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
        data_ops.perturb_data_dir_speed("0", d, tmp_path / "sp0")


def test_perturb_segments_scale_and_missing_audio(tmp_path):
    d = make_data_dir(tmp_path, speakers={"s": 2})
    write_kv(d / "segments", {"s-u0": ["s-u1", "0.1", "0.3"], "s-u1": ["s-u1", "0.3", "-1"]})
    data_ops.perturb_data_dir_speed("0.5", d, tmp_path / "sp")
    segs = read_kv(tmp_path / "sp" / "segments", multi=True)
    assert segs == {"sp0.5-s-u0": ["sp0.5-s-u1", "0.2", "0.6"], "sp0.5-s-u1": ["sp0.5-s-u1", "0.6", "-1"]}
    assert set(read_kv(tmp_path / "sp" / "wav.scp")) == {"sp0.5-s-u0", "sp0.5-s-u1"}
    Path(read_kv(d / "wav.scp")["s-u0"]).unlink()
    with pytest.raises(DataDirError, match=r"wav.scp:1: audio file of 's-u0' not found"):
        data_ops.perturb_data_dir_speed("0.9", d, tmp_path / "sp9")
    assert not (tmp_path / "sp9").exists()
