from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from Process_Data.data_dir import (
    DataDir,
    DataDirError,
    fix_data_dir,
    read_kv,
    spk2utt_to_utt2spk,
    utt2spk_to_spk2utt,
    validate_data_dir,
    write_kv,
)


def make_dir(tmp_path: Path, n_spk=2, n_utt=2) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    wav, utt2spk = {}, {}
    for s in range(n_spk):
        for u in range(n_utt):
            utt = f"spk{s}-u{u}"
            p = tmp_path / f"{utt}.wav"
            sf.write(p, np.zeros(1600, dtype="float32"), 16000)
            wav[utt] = str(p)
            utt2spk[utt] = f"spk{s}"
    write_kv(d / "wav.scp", wav)
    write_kv(d / "utt2spk", utt2spk)
    write_kv(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    return d


def test_write_sorts_in_c_order_and_roundtrips(tmp_path):
    write_kv(tmp_path / "t", {"b": "2", "B": "1", "a_": "3", "a": ["x", "y"]})
    assert (tmp_path / "t").read_text() == "B 1\na x y\na_ 3\nb 2\n"
    assert read_kv(tmp_path / "t", multi=True)["a"] == ["x", "y"]


def test_read_kv_errors_name_file_and_line(tmp_path):
    p = tmp_path / "utt2spk"
    p.write_text("a-1 a\na-2 a\na-1 a\n")
    with pytest.raises(DataDirError, match=r"utt2spk:3: duplicate key 'a-1' \(first on line 1\)"):
        read_kv(p)
    p.write_text("a-1 a\n\n")
    with pytest.raises(DataDirError, match=r"utt2spk:2: empty line"):
        read_kv(p)
    p.write_text("b-1 b\na-1 a\n")
    with pytest.raises(DataDirError, match=r"utt2spk:2: not sorted"):
        read_kv(p, check_sorted=True)


def test_spk2utt_inversion():
    s2u = utt2spk_to_spk2utt({"b-1": "b", "a-2": "a", "a-1": "a"})
    assert list(s2u.items()) == [("a", ["a-1", "a-2"]), ("b", ["b-1"])]
    assert spk2utt_to_utt2spk(s2u) == {"a-1": "a", "a-2": "a", "b-1": "b"}
    with pytest.raises(DataDirError, match="two speakers"):
        spk2utt_to_utt2spk({"a": ["x"], "b": ["x"]})


def test_validate_good_dir(tmp_path):
    d = make_dir(tmp_path)
    dd = validate_data_dir(d, no_feats=True)
    assert dd.utts == ["spk0-u0", "spk0-u1", "spk1-u0", "spk1-u1"]
    assert dd.speakers == ["spk0", "spk1"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda d: (d / "utt2spk").write_text("spk1-u0 spk1\nspk0-u0 spk0\n"),
            r"utt2spk:2: not sorted",
        ),
        (
            lambda d: (d / "spk2utt").write_text("spk0 spk0-u0\nspk1 spk1-u0 spk1-u1\n"),
            r"spk2utt:1: utterances of 'spk0' disagree",
        ),
        (
            lambda d: (d / "utt2spk").write_text(
                "spk0-u0 spk0\nspk0-u1 spk0\nspk1-u0 spk1\nspk1-u1 zz\n"
            ),
            r"utt2spk:4: speaker id 'zz'",
        ),
        (
            lambda d: (d / "wav.scp").write_text(
                (d / "wav.scp").read_text().replace("spk1-u1.wav", "gone.wav")
            ),
            r"wav.scp:4: audio file of 'spk1-u1' not found",
        ),
        (
            lambda d: (d / "utt2dur").write_text("spk0-u0 0.1\n"),
            r"utt2dur: 3 key\(s\) of utt2spk missing",
        ),
        (lambda d: None, r"feats.scp: missing"),
    ],
)
def test_validate_reports_file_and_line(tmp_path, mutate, message):
    d = make_dir(tmp_path)
    mutate(d)
    with pytest.raises(DataDirError, match=message):
        validate_data_dir(d, no_feats="feats" not in message)


def test_fix_keeps_common_utts_and_backs_up(tmp_path):
    d = make_dir(tmp_path)
    write_kv(d / "utt2dur", {"spk0-u0": "0.1", "spk1-u1": "0.1", "spk0-u1": "0.1"})
    (d / "spk2utt").write_text("spk0 spk0-u0\n")  # stale
    assert fix_data_dir(d) == {"before": 4, "after": 3}
    dd = validate_data_dir(d, no_feats=True)
    assert dd.utts == ["spk0-u0", "spk0-u1", "spk1-u1"]
    assert (d / "spk2utt").read_text() == "spk0 spk0-u0 spk0-u1\nspk1 spk1-u1\n"
    assert (d / ".backup" / "utt2spk").read_text().count("\n") == 4


def test_fix_leaves_dir_untouched_on_parse_error(tmp_path):
    d = make_dir(tmp_path)
    (d / "utt2dur").write_text("spk0-u0 0.1\nspk0-u0 0.2\n")
    before = (d / "utt2spk").read_text()
    with pytest.raises(DataDirError, match="utt2dur:2: duplicate"):
        fix_data_dir(d)
    assert (d / "utt2spk").read_text() == before
    assert not (d / ".backup").exists()


def test_subset_follows_segments(tmp_path):
    dd = DataDir(
        {
            "utt2spk": {"a-1": "a", "b-1": "b"},
            "segments": {"a-1": ["r1", "0", "1"], "b-1": ["r2", "0", "1"]},
            "wav.scp": {"r1": "x", "r2": "y"},
            "spk2gender": {"a": "m", "b": "f"},
        }
    )
    sub = dd.subset(["b-1"])
    assert dict(sub.tables["wav.scp"]) == {"r2": "y"}
    assert dict(sub.tables["spk2gender"]) == {"b": "f"}
