"""The speaker bootstrap of an EER (TrainAndTest.bin.bootstrap_eer): whole speakers are
resampled, paired systems see the same resamples, and bad input is named."""

from __future__ import annotations

import numpy as np
import pytest

from TrainAndTest.bin.bootstrap_eer import bootstrap_eers, main, speaker_groups


def _two_speakers():
    """Speaker A: 4 trials, perfectly separated; speaker B: 4 trials, all ranked wrong."""
    scores = np.array([3.0, 2.9, -3.0, -2.9,    # A: targets high
                       -1.0, -1.1, 1.0, 1.1])   # B: targets low
    labels = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    groups = [np.arange(4), np.arange(4, 8)]
    return scores, labels, groups


def test_resamples_whole_speakers():
    from TrainAndTest.metrics.error_rates import compute_eer

    scores, labels, groups = _two_speakers()
    b = bootstrap_eers([scores], labels, groups, reps=200, seed=3)
    # a resample is A+A (EER 0), B+B (EER 1) or A+B (the full list's EER); a trial-level
    # resample would give many other values
    allowed = {0.0, 1.0, compute_eer(scores, labels)[0]}
    values = set(np.round(b.reps[:, 0], 12))
    assert values <= {round(v, 12) for v in allowed}
    assert len(values) == 3  # all three kinds occur in 200 draws
    assert b.speakers == 2 and b.full[0] == pytest.approx(compute_eer(scores, labels)[0])
    # about a quarter of the draws are B+B: the spread is large
    assert 0.15 < np.mean(b.reps[:, 0] == 1.0) < 0.35


def test_paired_systems_share_resamples_and_seed_repeats():
    scores, labels, groups = _two_speakers()
    better = np.where(labels == 1, 5.0, -5.0)  # separates every trial
    b = bootstrap_eers([scores, better], labels, groups, reps=100, seed=1)
    assert np.all(b.reps[:, 1] == 0.0) and b.full[1] == 0.0
    assert np.all(b.reps[:, 0] >= b.reps[:, 1])
    again = bootstrap_eers([scores, better], labels, groups, reps=100, seed=1)
    np.testing.assert_array_equal(b.reps, again.reps)


def test_speaker_groups_name_a_missing_enrolment_id():
    g = speaker_groups(["u1", "u2", "u1"], {"u1": "s1", "u2": "s2"}, "utt2spk")
    assert [x.tolist() for x in g] == [[0, 2], [1]]
    with pytest.raises(ValueError, match="utt2spk: enrolment id u9 \\(trial 2\\)"):
        speaker_groups(["u1", "u9"], {"u1": "s1"}, "utt2spk")


def _write_list(tmp_path):
    scores, labels, _ = _two_speakers()
    enrol = ["a1"] * 4 + ["b1"] * 4
    test = [f"t{i}" for i in range(8)]
    (tmp_path / "trials").write_text("".join(
        f"{e} {t} {'target' if lab else 'nontarget'}\n" for e, t, lab in zip(enrol, test, labels)))
    (tmp_path / "utt2spk").write_text("a1 A\nb1 B\n")
    (tmp_path / "s1").write_text("".join(f"{e} {t} {s}\n" for e, t, s in zip(enrol, test, scores)))
    (tmp_path / "s2").write_text("".join(f"{e} {t} {s}\n" for e, t, s in zip(enrol, test, -scores)))
    return tmp_path


def test_cli_prints_both_systems_and_their_difference(tmp_path, capsys):
    d = _write_list(tmp_path)
    assert main([str(d / "trials"), str(d / "utt2spk"), str(d / "s1"), str(d / "s2"),
                 "--reps", "50"]) == 0
    out = capsys.readouterr().out
    assert "8 trials of 2 enrolment speakers, 50 speaker resamples" in out
    assert f"{d / 's1'}: EER 50.00%" in out  # half the trials ranked wrong
    assert "difference (first - second): EER 0.00%" in out
    assert "first lower in" in out


def test_cli_names_a_missing_score(tmp_path, capsys):
    d = _write_list(tmp_path)
    (d / "s1").write_text("a1 t0 1.0\n")
    assert main([str(d / "trials"), str(d / "utt2spk"), str(d / "s1")]) == 1
    assert str(d / "s1") in capsys.readouterr().err


def test_mean_of_lists_resamples_each_list_and_shares_draws_between_copies():
    from TrainAndTest.bin.bootstrap_eer import TrialList, bootstrap_mean_eers
    from TrainAndTest.metrics.error_rates import compute_eer

    scores, labels, groups = _two_speakers()
    perfect = np.where(labels == 1, 5.0, -5.0)
    mixed_full = compute_eer(scores, labels)[0]
    # list X: speaker A right, B wrong; list Y: both right. Two copies of each: the first
    # copy as is, the second perfect everywhere
    x = TrialList(labels, groups, [[scores], [perfect]])
    y = TrialList(labels, groups, [[perfect], [perfect]])
    b = bootstrap_mean_eers([x, y], reps=300, seed=2)
    assert b.full[0] == pytest.approx(mixed_full / 4) and b.speakers == 4
    # every resample: X's first copy is 0, 1 or the full EER, the other three terms are 0;
    # lists are resampled on their own, so X keeps its two speakers' worth of trials
    allowed = {0.0, 0.25, round(mixed_full / 4, 12)}
    values = set(np.round(b.reps[:, 0], 12))
    assert values <= allowed and len(values) == 3
    # a copy identical to the first sees the same draws: the mean of two equal copies is
    # the copy's own value in every resample
    same = bootstrap_mean_eers([TrialList(labels, groups, [[scores], [scores]])], reps=100, seed=5)
    alone = bootstrap_eers([scores], labels, groups, reps=100, seed=5)
    np.testing.assert_allclose(same.reps, alone.reps)


def _write_split(d, name, list_scores):
    """A data dir <d>/<name> with lists trials_a, trials_b (the _two_speakers layout) and
    the score files <d>/sys_<list>_<name> of the given score arrays."""
    _, labels, _ = _two_speakers()
    enrol = ["a1"] * 4 + ["b1"] * 4
    test = [f"t{i}" for i in range(8)]
    sd = d / name
    sd.mkdir()
    (sd / "utt2spk").write_text("a1 A\nb1 B\n")
    for lst, sc in list_scores.items():
        (sd / lst).write_text("".join(
            f"{e} {t} {'target' if lab else 'nontarget'}\n" for e, t, lab in zip(enrol, test, labels)))
        (d / f"sys_{lst}_{name}").write_text("".join(
            f"{e} {t} {s}\n" for e, t, s in zip(enrol, test, sc)))
    return sd


def test_cli_criterion_is_the_mean_over_copies_of_the_mean_over_lists(tmp_path, capsys):
    scores, labels, _ = _two_speakers()
    perfect = np.where(labels == 1, 5.0, -5.0)
    val = _write_split(tmp_path, "val", {"trials_a": scores, "trials_b": perfect})
    tel = _write_split(tmp_path, "val_tel", {"trials_a": scores, "trials_b": scores})
    assert main(["--criterion", f"{val},{tel}", str(tmp_path / "sys"), "--reps", "20"]) == 0
    out = capsys.readouterr().out
    # val: (50 + 0) / 2 = 25; tel: (50 + 50) / 2 = 50; criterion 37.5
    assert "mean EER of 2 lists x 2 copies, 4 enrolment speakers" in out
    assert f"{tmp_path / 'sys'}: EER 37.50%" in out


def test_cli_criterion_names_dirs_that_are_not_copies(tmp_path, capsys):
    scores, labels, _ = _two_speakers()
    val = _write_split(tmp_path, "val", {"trials_a": scores, "trials_b": scores})
    other = _write_split(tmp_path, "other", {"trials_a": scores, "trials_c": scores})
    assert main(["--criterion", f"{val},{other}", str(tmp_path / "sys")]) == 1
    err = capsys.readouterr().err
    assert f"{other} holds the lists trials_a" in err and "copies of one split" in err
    tel = _write_split(tmp_path, "val_tel", {"trials_a": scores, "trials_b": scores})
    lines = (tel / "trials_b").read_text().splitlines()
    lines[0] = lines[0].replace("target", "nontarget")
    (tel / "trials_b").write_text("\n".join(lines) + "\n")
    assert main(["--criterion", f"{val},{tel}", str(tmp_path / "sys")]) == 1
    assert f"{tel / 'trials_b'} differs from {val / 'trials_b'}" in capsys.readouterr().err
    (tmp_path / "sys_trials_a_val").unlink()
    assert main(["--criterion", str(val), str(tmp_path / "sys")]) == 1
    assert "sys_trials_a_val" in capsys.readouterr().err


def test_cli_one_line_gives_the_difference_only(tmp_path, capsys):
    d = _write_list(tmp_path)
    better = tmp_path / "s3"
    _, labels, _ = _two_speakers()
    enrol = ["a1"] * 4 + ["b1"] * 4
    better.write_text("".join(f"{e} t{i} {5.0 if lab else -5.0}\n"
                              for i, (e, lab) in enumerate(zip(enrol, labels))))
    assert main([str(d / "trials"), str(d / "utt2spk"), str(better), str(d / "s1"),
                 "--one-line", "--reps", "40"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    # s3 separates every trial (EER 0), s1 half of them (50): -50 on the full list, and
    # s3 is never worse; it is lower unless both drawn speakers are A
    assert len(out) == 1 and out[0].startswith("difference -50.00 (sd ")
    assert "resamples of the 2 enrolment speakers" in out[0]
    with pytest.raises(SystemExit):
        main([str(d / "trials"), str(d / "utt2spk"), str(better), "--one-line"])


def test_cli_criterion_uses_the_full_list_beside_one_domain_list(tmp_path, capsys):
    # like the recipe's criterion (results.add_list_means): one trials_* gets no mean row,
    # so the split is judged by its trials list
    scores, labels, _ = _two_speakers()
    perfect = np.where(labels == 1, 5.0, -5.0)
    val = _write_split(tmp_path, "val", {"trials": perfect, "trials_a": scores})
    assert main(["--criterion", str(val), str(tmp_path / "sys"), "--reps", "10"]) == 0
    out = capsys.readouterr().out
    assert "mean EER of 1 lists x 1 copies" in out and f"{tmp_path / 'sys'}: EER 0.00%" in out
    (val / "trials").unlink()
    assert main(["--criterion", str(val), str(tmp_path / "sys")]) == 1
    assert "has no trials file and fewer than two trials_*" in capsys.readouterr().err
