"""Process_Data.data_ops.subset, .combine and .rename on tiny data dirs."""

from __future__ import annotations

import pytest
from tiny_dirs import make_data_dir

from Process_Data.data_dir import DataDirError, read_kv, validate_data_dir
from Process_Data.data_ops import combine, rename, subset


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
    dd = subset.subset_data_dir(d, tmp_path / "sub", **selection)
    assert dd.utts == expected
    assert validate_data_dir(tmp_path / "sub", no_feats=True).utts == expected


def test_subset_random_is_seeded_and_lists_are_checked(tmp_path):
    d = make_data_dir(tmp_path)
    a = subset.subset_data_dir(d, tmp_path / "a", random_n=3, seed=5).utts
    b = subset.subset_data_dir(d, tmp_path / "b", random_n=3, seed=5).utts
    assert a == b and len(a) == 3
    (tmp_path / "spk").write_text("spkB\n")
    assert subset.subset_data_dir(d, tmp_path / "c", spk_list=tmp_path / "spk").speakers == ["spkB"]
    (tmp_path / "utts").write_text("spkA-u1\nnope\n")
    with pytest.raises(DataDirError, match=r"utts:2: utterance 'nope' is not in"):
        subset.subset_data_dir(d, tmp_path / "d", utt_list=tmp_path / "utts")
    with pytest.raises(DataDirError, match="cannot select 7 utterance"):
        subset.subset_data_dir(d, tmp_path / "d", first=7)
    assert not (tmp_path / "d").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".d.")]


def test_combine_and_duplicate_ids(tmp_path):
    a = make_data_dir(tmp_path, "a", {"x": 2})
    b = make_data_dir(tmp_path, "b", {"y": 1})
    (b / "utt2dur").unlink()
    dd, notes = combine.combine_data_dirs(tmp_path / "ab", [a, b])
    assert dd.utts == ["x-u0", "x-u1", "y-u0"]
    assert not (tmp_path / "ab" / "utt2dur").exists() and "utt2dur" in notes[0]
    assert (tmp_path / "ab" / "spk2utt").read_text() == "x x-u0 x-u1\ny y-u0\n"
    with pytest.raises(DataDirError, match=r"a/utt2spk: utterance 'x-u0' is also in .*a/utt2spk"):
        combine.combine_data_dirs(tmp_path / "aa", [a, a])
    assert not (tmp_path / "aa").exists()


def test_copy_with_prefixes_and_bad_suffix(tmp_path):
    d = make_data_dir(tmp_path, speakers={"s1": 2})
    dd = rename.copy_data_dir(d, tmp_path / "c", utt_prefix="p-", spk_prefix="p-", utt_suffix="-x")
    assert dd.utts == ["p-s1-u0-x", "p-s1-u1-x"]
    assert read_kv(tmp_path / "c" / "spk2gender") == {"p-s1": "m"}
    assert list(read_kv(tmp_path / "c" / "wav.scp")) == dd.utts
    with pytest.raises(DataDirError, match="speaker 's1-y' would not be a prefix of utterance 's1-u0'"):
        rename.copy_data_dir(d, tmp_path / "e", spk_suffix="-y")
    assert not (tmp_path / "e").exists()


def test_feature_options_travel_only_when_every_source_agrees(tmp_path):
    a = make_data_dir(tmp_path, "a", {"x": 1})
    b = make_data_dir(tmp_path, "b", {"y": 1})
    for d in (a, b):
        (d / "conf").mkdir()
        (d / "conf" / "fbank.conf").write_text("--num-mel-bins=80\n")
    combine.combine_data_dirs(tmp_path / "ab", [a, b])
    assert (tmp_path / "ab" / "conf" / "fbank.conf").read_text() == "--num-mel-bins=80\n"
    subset.subset_data_dir(tmp_path / "ab", tmp_path / "sub", first=1)
    assert (tmp_path / "sub" / "conf" / "fbank.conf").is_file()
    (b / "conf" / "fbank.conf").write_text("--num-mel-bins=40\n")
    combine.combine_data_dirs(tmp_path / "ab2", [a, b])
    assert not (tmp_path / "ab2" / "conf").exists()  # mixed features: the egs say unknown
