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
