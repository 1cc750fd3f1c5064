"""The calibration split: held-out training speakers per domain, disjoint from the rest,
with trials whose labels and domains are right; deterministic by seed."""

from __future__ import annotations

import pytest

from Process_Data.corpora.calibration_split import (
    choose_heldout_speakers,
    make_calibration_split,
    speaker_domains,
)
from Process_Data.data_dir import DataDirError, validate_data_dir


def _train_dir(path, domains=None, speakers=40, utts=4):
    """A data dir of ``speakers`` x ``utts`` utterances; domain of speaker i: domains(i)."""
    path.mkdir(parents=True)
    u2s, u2d, wav = [], [], []
    for s in range(speakers):
        for u in range(utts):
            utt = f"s{s:02d}-{u:02d}"
            u2s.append(f"{utt} s{s:02d}\n")
            wav.append(f"{utt} /x/{utt}.wav\n")
            if domains:
                u2d.append(f"{utt} {domains(s)}\n")
    (path / "utt2spk").write_text("".join(u2s))
    (path / "wav.scp").write_text("".join(wav))
    spk2utt = {}
    for line in u2s:
        utt, spk = line.split()
        spk2utt.setdefault(spk, []).append(utt)
    (path / "spk2utt").write_text("".join(f"{s} {' '.join(us)}\n" for s, us in spk2utt.items()))
    if domains:
        (path / "utt2domain").write_text("".join(u2d))
    return path


def test_choice_is_per_domain_seeded_and_leaves_every_domain_a_speaker():
    spk2domain = {f"a{i:02d}": "a" for i in range(50)}
    spk2domain.update({f"b{i}": "b" for i in range(5)})
    spk2domain.update({"c0": "c", "c1": "c"})  # 2 speakers: holding out 2 would leave none
    held = choose_heldout_speakers(spk2domain, 0.1, seed=3)
    assert sum(s.startswith("a") for s in held) == 5  # round(0.1 * 50)
    assert sum(s.startswith("b") for s in held) == 2  # the minimum
    assert not any(s.startswith("c") for s in held)
    assert held == choose_heldout_speakers(spk2domain, 0.1, seed=3)
    assert held != choose_heldout_speakers(spk2domain, 0.1, seed=4)
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        choose_heldout_speakers(spk2domain, 1.5)


def test_speaker_domain_is_the_majority_of_its_utterances():
    assert speaker_domains({"a-1": "a", "a-2": "a", "a-3": "a"},
                           {"a-1": "y", "a-2": "x", "a-3": "x"}) == {"a": "x"}


def test_split_writes_disjoint_dirs_and_same_domain_trials(tmp_path):
    train = _train_dir(tmp_path / "train", domains=lambda s: "az" if s < 30 else "sc")
    split = make_calibration_split(train, tmp_path / "calib", tmp_path / "rest", 0.1, seed=0)
    calib = validate_data_dir(tmp_path / "calib", no_feats=True, check_audio=False)
    rest = validate_data_dir(tmp_path / "rest", no_feats=True, check_audio=False)
    assert len(calib.speakers) == 5 and len(rest.speakers) == 35  # 3 of az's 30, 2 of sc's 10
    assert set(calib.speakers) == set(split.heldout_speakers)
    assert not set(calib.speakers) & set(rest.speakers)
    assert set(calib.utts) | set(rest.utts) == {f"s{s:02d}-{u:02d}" for s in range(40) for u in range(4)}
    assert (tmp_path / "calib" / "utt2domain").is_file()
    trials = [ln.split() for ln in (tmp_path / "calib" / "trials").read_text().splitlines()]
    assert len(trials) == split.num_target + split.num_nontarget
    assert split.num_target > 0 and split.num_nontarget > 0
    dom = lambda u: "az" if int(u[1:3]) < 30 else "sc"  # noqa: E731
    for e, t, lab in trials:
        assert e in calib.utt2spk and t in calib.utt2spk
        assert (calib.utt2spk[e] == calib.utt2spk[t]) == (lab == "target")
        assert dom(e) == dom(t)  # non-targets within the domain, as the test lists
    # one list per domain, together the full list (the test set's trials_<corpus> counterpart)
    parts = {d: (tmp_path / "calib" / f"trials_{d}").read_text().splitlines() for d in ("az", "sc")}
    assert all(dom(ln.split()[0]) == d for d, lines in parts.items() for ln in lines)
    assert sorted(parts["az"] + parts["sc"]) == sorted(" ".join(t) for t in trials)
    assert sorted(p.name for p in (tmp_path / "calib").glob("trials*")) == \
        ["trials", "trials_az", "trials_sc"]
    again = make_calibration_split(train, tmp_path / "c2", tmp_path / "r2", 0.1, seed=0)
    assert again == split
    assert (tmp_path / "c2" / "trials").read_text() == (tmp_path / "calib" / "trials").read_text()


def test_too_few_speakers_is_an_error_naming_the_dir(tmp_path):
    train = _train_dir(tmp_path / "train", speakers=3)
    with pytest.raises(DataDirError, match="3 speakers are too few for a calibration split"):
        make_calibration_split(train, tmp_path / "calib", tmp_path / "rest")
    assert not (tmp_path / "calib").exists()


def test_each_speaker_enrols_at_most_enrol_per_speaker_utterances(tmp_path):
    train = _train_dir(tmp_path / "train", speakers=20, utts=30)
    split = make_calibration_split(train, tmp_path / "calib", tmp_path / "rest", 0.1, seed=0,
                                   enrol_per_speaker=4)
    assert not list((tmp_path / "calib").glob("trials_*"))  # no domains: the one list
    trials = [ln.split() for ln in (tmp_path / "calib" / "trials").read_text().splitlines()]
    for spk in split.heldout_speakers:
        assert len({e for e, _, _ in trials if e.startswith(spk + "-")}) == 4
    assert split.num_target == 2 * 4 * 5  # 2 speakers x 4 enrolments x 5 targets
