"""Trials: drawing from a data dir, reading both formats, converting."""

from __future__ import annotations

import pytest

from Process_Data.corpora.trials import (
    Trial,
    convert_trials,
    make_trials,
    read_trials,
    write_trials,
)
from Process_Data.data_dir import DataDirError

UTT2SPK = {f"{s}-{i}": s for s in ("a", "b", "c", "d") for i in range(4)}
GENDER = {"a": "m", "b": "f", "c": "m", "d": "f"}


def test_counts_labels_and_no_duplicates():
    trials = make_trials(UTT2SPK, num_target=2, num_nontarget=3, seed=1)
    pairs = [(t.enrol, t.test) for t in trials]
    assert len(set(pairs)) == len(pairs)
    assert not {(b, a) for a, b in pairs} & set(pairs), "a pair drawn in both orders"
    for t in trials:
        assert t.enrol != t.test
        assert t.is_target == (UTT2SPK[t.enrol] == UTT2SPK[t.test])
    # every utterance enrols 3 non-targets (plenty of other speakers)
    for u in UTT2SPK:
        assert sum(1 for t in trials if t.enrol == u and not t.is_target) == 3
    for u in UTT2SPK:
        n = sum(1 for t in trials if t.enrol == u and t.is_target)
        assert n == 2 if u.endswith("-0") else n <= 2
    # asking for more targets than exist: each speaker's 6 unordered pairs, each once
    many = make_trials(UTT2SPK, num_target=10, num_nontarget=0, seed=1)
    assert len(many) == 4 * 6 and all(t.is_target for t in many)


def test_deterministic_and_seeded():
    a = make_trials(UTT2SPK, 1, 2, seed=3)
    assert a == make_trials(dict(reversed(list(UTT2SPK.items()))), 1, 2, seed=3)
    assert a != make_trials(UTT2SPK, 1, 2, seed=4)


def test_same_gender():
    trials = make_trials(UTT2SPK, 1, 5, seed=0, spk2gender=GENDER, same_gender=True)
    non = [t for t in trials if not t.is_target]
    assert non and all(GENDER[UTT2SPK[t.enrol]] == GENDER[UTT2SPK[t.test]] for t in non)
    with pytest.raises(ValueError, match="spk2gender"):
        make_trials(UTT2SPK, 1, 1, same_gender=True)
    with pytest.raises(ValueError, match="'d'"):
        make_trials(UTT2SPK, 1, 1, spk2gender={"a": "m", "b": "f", "c": "m"}, same_gender=True)


def test_read_write_both_formats(tmp_path):
    trials = [Trial("a-0", "a-1", True), Trial("a-0", "b-0", False)]
    write_trials(tmp_path / "k", trials, "kaldi")
    write_trials(tmp_path / "v", trials, "vox")
    assert (tmp_path / "k").read_text() == "a-0 a-1 target\na-0 b-0 nontarget\n"
    assert (tmp_path / "v").read_text() == "1 a-0 a-1\n0 a-0 b-0\n"
    assert read_trials(tmp_path / "k") == (trials, "kaldi")
    assert read_trials(tmp_path / "v") == (trials, "vox")


def test_bad_lines_name_file_and_line(tmp_path):
    p = tmp_path / "t"
    p.write_text("1 a b\n1 a\n")
    with pytest.raises(DataDirError, match=r"t:2: expected 3 fields"):
        read_trials(p)
    p.write_text("1 a b\na b target\n")
    with pytest.raises(DataDirError, match=r"t:2: not a trial line in vox format"):
        read_trials(p)


def test_convert_maps_keys_and_checks_them(tmp_path):
    src = tmp_path / "veri.txt"
    src.write_text("1 s1/x/1.wav s1/y/2.wav\n0 s1/x/1.wav s2/x/1.wav\n")
    key = lambda p: p.replace("/", "-").rsplit(".", 1)[0]  # noqa: E731
    n = convert_trials(src, tmp_path / "trials", key, known={"s1-x-1", "s1-y-2", "s2-x-1"})
    assert n == 2
    assert (tmp_path / "trials").read_text() == (
        "s1-x-1 s1-y-2 target\ns1-x-1 s2-x-1 nontarget\n"
    )
    with pytest.raises(DataDirError, match=r"veri.txt:2: 's2/x/1.wav'"):
        convert_trials(src, tmp_path / "t2", key, known={"s1-x-1", "s1-y-2"})
    assert not (tmp_path / "t2").exists()
