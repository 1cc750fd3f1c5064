"""DER: known answers, pyannote.metrics as the reference, and diar_mini's one-speaker
baseline (issue 17, first must-show)."""

from __future__ import annotations

import numpy as np
import pytest

from TrainAndTest.diarization.der import diarization_error, score_recordings, scored_regions
from TrainAndTest.diarization.rttm import Turn, read_rttm, speech_regions


def test_known_answer_parts():
    ref = [Turn(0, 10, "a"), Turn(5, 10, "b")]  # 5 s of overlap
    hyp = [Turn(0, 8, "x"), Turn(12, 14, "y")]
    r = diarization_error(ref, hyp, uem=(0, 15))
    # total 15; miss: 5..8 one of two (3) + 8..10 both (4) = 7; false alarm 12..14 = 2;
    # x maps to a: no confusion
    assert (r.total, r.miss, r.false_alarm, r.confusion) == (15.0, 7.0, 2.0, 0.0)
    swapped = diarization_error(ref, [Turn(0, 10, "x"), Turn(0, 5, "y")], uem=(0, 15))
    # a tie: x->a + y->b and x->b + y->a both have 10 s correct, so no confusion either way
    assert swapped.confusion == 0.0 and swapped.miss == 5.0 and swapped.false_alarm == 5.0


def test_collar_and_skip_overlap():
    ref = [Turn(1, 3, "a"), Turn(2, 4, "b")]
    assert scored_regions(ref, (0, 5), collar=0.5) == [(0, 0.75), (1.25, 1.75), (2.25, 2.75),
                                                        (3.25, 3.75), (4.25, 5)]
    assert scored_regions(ref, (0, 5), skip_overlap=True) == [(0, 2), (3, 5)]
    one = [Turn(1, 4, "x")]
    assert diarization_error(ref, one, (0, 5), skip_overlap=True).der == pytest.approx(0.5)
    assert diarization_error(ref, one, (0, 5)).der == pytest.approx(0.5)


def test_reference_against_itself_is_zero():
    ref = [Turn(0.5, 3.2, "a"), Turn(3.0, 7.1, "b"), Turn(8, 9, "a"), Turn(8.5, 9.5, "c")]
    for collar in (0.0, 0.25, 0.5):
        for skip in (False, True):
            r = diarization_error(ref, ref, (0, 10), collar, skip)
            assert r.der == 0.0 and r.total > 0


def _random_turns(rng, n_spk, length=30.0):
    turns = []
    for s in range(n_spk):
        t = float(rng.uniform(0, 3))
        while t < length:
            d = float(rng.uniform(0.3, 4))
            turns.append(Turn(round(t, 3), round(min(t + d, length), 3), f"s{s}"))
            t += d + float(rng.uniform(0.2, 6))
    return turns


@pytest.mark.parametrize("seed", range(8))
def test_matches_pyannote_on_random_turns(seed):
    core = pytest.importorskip("pyannote.core")
    metrics = pytest.importorskip("pyannote.metrics.diarization")
    rng = np.random.default_rng(seed)
    ref = _random_turns(rng, int(rng.integers(1, 5)))
    hyp = _random_turns(rng, int(rng.integers(1, 6)))

    def ann(turns):
        a = core.Annotation()
        for i, t in enumerate(turns):
            a[core.Segment(t.start, t.end), i] = t.speaker
        return a

    for collar in (0.0, 0.25, 0.5):
        for skip in (False, True):
            metric = metrics.DiarizationErrorRate(collar=collar, skip_overlap=skip)
            want = metric(ann(ref), ann(hyp), uem=core.Timeline([core.Segment(0, 30)]),
                          detailed=True)
            got = diarization_error(ref, hyp, (0, 30), collar, skip)
            assert got.total == pytest.approx(want["total"], abs=1e-6)
            assert got.miss == pytest.approx(want["missed detection"], abs=1e-6)
            assert got.false_alarm == pytest.approx(want["false alarm"], abs=1e-6)
            assert got.confusion == pytest.approx(want["confusion"], abs=1e-6)


def test_diar_mini_one_speaker_baseline(shared_data):
    """Everything one speaker with oracle speech: 38.2% at collar 0.25, overlap scored."""
    import soundfile as sf

    root = shared_data / "diar_mini"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    ref, durations = {}, {}
    for rttm in sorted(root.glob("*.rttm")):
        ref.update(read_rttm(rttm))
        durations[rttm.stem] = sf.info(str(rttm.with_suffix(".wav"))).duration
    assert len(ref) == 15
    hyp = {r: [Turn(s, e, "one") for s, e in speech_regions(t)] for r, t in ref.items()}
    per, overall = score_recordings(ref, hyp, durations, collar=0.25)
    assert round(100 * overall.der, 1) == 38.2
    assert overall.false_alarm == 0.0 and overall.miss > 0 and overall.confusion > 0
    _, itself = score_recordings(ref, ref, durations, collar=0.25)
    assert itself.der == 0.0
    metrics = pytest.importorskip("pyannote.metrics.diarization")
    core = pytest.importorskip("pyannote.core")
    metric = metrics.DiarizationErrorRate(collar=0.25, skip_overlap=False)
    for reco in ref:
        a, b = core.Annotation(uri=reco), core.Annotation(uri=reco)
        for i, t in enumerate(ref[reco]):
            a[core.Segment(t.start, t.end), i] = t.speaker
        for i, t in enumerate(hyp[reco]):
            b[core.Segment(t.start, t.end), i] = t.speaker
        metric(a, b, uem=core.Timeline([core.Segment(0, durations[reco])]))
    assert abs(metric) == pytest.approx(overall.der, abs=1e-9)
