"""Clustering, frame voting, SAD helpers and RTTM/segments I/O: known answers and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from TrainAndTest.diarization.cluster import (
    CLUSTER_METHODS,
    ClusterError,
    cluster_embeddings,
    eigengap_count,
    pruned_affinity,
)
from TrainAndTest.diarization.der import diarization_error
from TrainAndTest.diarization.reseg import frame_turns
from TrainAndTest.diarization.rttm import (
    RttmError,
    Turn,
    read_rttm,
    read_segments,
    write_rttm,
    write_segments,
)
from TrainAndTest.diarization.sad import (
    SadError,
    SileroOptions,
    clean_regions,
    frames_to_regions,
    sad_error,
    silero_regions,
)


def blobs(n_spk, per, dim=32, noise=0.15, seed=0):
    """Well separated speaker clusters: orthogonal directions plus noise."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(dim, n_spk)))[0].T * np.sqrt(dim)
    labels = rng.permutation(np.repeat(np.arange(n_spk), per))
    return centres[labels] + noise * rng.normal(size=(len(labels), dim)), labels


def same_partition(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return (a[:, None] == a[None]).tolist() == (b[:, None] == b[None]).tolist()


@pytest.mark.parametrize("method", ["ahc", "spectral"])
@pytest.mark.parametrize("n_spk", [2, 3, 5])
def test_well_separated_speakers_are_found(method, n_spk):
    x, truth = blobs(n_spk, 12)
    assert same_partition(cluster_embeddings(method, x), truth)  # estimated count
    assert same_partition(cluster_embeddings(method, x, num_speakers=n_spk), truth)


@pytest.mark.slow
def test_umap_hdbscan_finds_well_separated_speakers():
    """One test: umap's first call compiles numba code (minutes on a loaded runner)."""
    pytest.importorskip("umap")
    for n_spk in (2, 4):
        x, truth = blobs(n_spk, 12, seed=n_spk)
        assert same_partition(cluster_embeddings("umap_hdbscan", x), truth)
        assert same_partition(cluster_embeddings("umap_hdbscan", x, num_speakers=n_spk), truth)


@pytest.mark.parametrize("method", sorted(CLUSTER_METHODS))
def test_oracle_count_is_obeyed_and_small_inputs(method):
    x, _ = blobs(3, 6)  # fewer than UMAP_MIN_POINTS: umap_hdbscan falls back to ahc
    assert cluster_embeddings(method, x, num_speakers=2).max() + 1 == 2
    assert cluster_embeddings(method, x[:1]).tolist() == [0]
    assert cluster_embeddings(method, x[:0]).tolist() == []
    assert set(cluster_embeddings(method, x, num_speakers=1).tolist()) == {0}


def test_ahc_oracle_count_ignores_a_stray_window():
    x, truth = blobs(2, 10)
    stray = np.random.default_rng(5).normal(size=(1, x.shape[1])) * 3  # far from both
    labels = cluster_embeddings("ahc", np.vstack([x, stray]), num_speakers=2)
    assert same_partition(labels[:-1], truth)  # plain maxclust gives [both blobs] + [stray]
    assert labels.max() == 1


def test_ahc_threshold_moves_the_count():
    x, _ = blobs(4, 8, noise=0.5)
    counts = [cluster_embeddings("ahc", x, threshold=t).max() + 1 for t in (-1.0, 0.3, 0.999)]
    assert counts[0] == 1 and counts[1] == 4 and counts[2] == len(x)


def test_eigengap_and_pruning():
    x, _ = blobs(4, 6)
    assert eigengap_count(pruned_affinity(x)) == 4
    aff = pruned_affinity(x, pval=0.2)
    assert np.allclose(aff, aff.T) and (aff >= 0).all()


def test_bad_method_names_the_valid_ones():
    with pytest.raises(ClusterError, match="valid: ahc, spectral, umap_hdbscan"):
        cluster_embeddings("kmeans", np.zeros((3, 2)))
    with pytest.raises(ClusterError, match="num_speakers must be >= 1"):
        cluster_embeddings("ahc", np.ones((3, 2)), num_speakers=0)


def test_frame_voting_known_answer():
    # windows of 1.5 s every 0.75 s over 0..6 s; speaker 0 until 3 s then speaker 1
    wins = np.array([[s, s + 1.5] for s in np.arange(0, 4.6, 0.75)])
    labels = (wins.mean(axis=1) > 3.0).astype(int)
    turns = frame_turns(wins, labels, [(0.0, 6.0)], prefix="s")
    assert [t.speaker for t in turns] == ["s0", "s1"]
    assert turns[0].start == 0.0 and turns[-1].end == 6.0
    assert abs(turns[0].end - 3.0) <= 0.4  # the change lies between the windows' centres
    ref = [Turn(0, 3, "a"), Turn(3, 6, "b")]
    assert diarization_error(ref, turns, (0, 6), collar=1.0).der == 0.0


def test_frame_voting_keeps_to_speech_regions():
    wins = np.array([[0.0, 1.5], [2.0, 2.2]])
    turns = frame_turns(wins, np.array([0, 1]), [(0.0, 1.5), (2.0, 2.2), (5.0, 5.1)])
    assert turns[0] == Turn(0.0, 1.5, "0") and turns[1] == Turn(2.0, 2.2, "1")
    assert turns[2] == Turn(5.0, 5.1, "1")  # no window covers it: the nearest window's label
    with pytest.raises(ValueError, match="2 windows but 1 labels"):
        frame_turns(wins, np.array([0]), [(0, 1)])


def test_overlap_gives_both_speakers_around_a_change():
    """Windows of 1.5 s every 0.75 s, speaker 0 then 1: with an overlap ratio the frames
    around the change hold both speakers; the rest stays one speaker per frame."""
    wins = np.array([[s, s + 1.5] for s in np.arange(0, 4.6, 0.75)])
    labels = (wins.mean(axis=1) > 3.0).astype(int)
    one = frame_turns(wins, labels, [(0.0, 6.0)], prefix="s")
    two = frame_turns(wins, labels, [(0.0, 6.0)], prefix="s", overlap_ratio=0.5)
    assert [t.speaker for t in two] == ["s0", "s1"]
    assert two[0].start == 0.0 and two[1].end == 6.0
    assert two[1].start < one[0].end < two[0].end  # an overlap straddling the change
    assert 0.2 < two[0].end - two[1].start < 1.5
    # a ratio of 1 adds only exact ties; one label, or no ratio: no second speaker
    assert frame_turns(wins, np.zeros(len(wins), int), [(0.0, 6.0)], overlap_ratio=0.5) == [
        Turn(0.0, 6.0, "0")]
    assert frame_turns(wins, labels, [(0.0, 6.0)], prefix="s", overlap_ratio=None) == one
    with pytest.raises(ValueError, match="overlap_ratio 1.5"):
        frame_turns(wins, labels, [(0.0, 6.0)], overlap_ratio=1.5)


def test_diarize_recordings_passes_the_overlap_ratio(tmp_path):
    """The recipe step gives the same overlapping turns as frame voting (embeddings that
    ahc splits into the two labels of the windows)."""
    from Process_Data.data_dir import atomic_savez
    from TrainAndTest.diarization.recipe import diarize_recordings

    wins = np.array([[s, s + 1.5] for s in np.arange(0, 4.6, 0.75)])
    labels = (wins.mean(axis=1) > 3.0).astype(int)
    x, _ = blobs(2, 1)
    atomic_savez(tmp_path / "r.npz", {"windows": wins,
                                      "embeddings": x[labels].astype(np.float32)})
    got = diarize_recordings(tmp_path, {"r": [(0.0, 6.0)]}, "ahc", num_speakers={"r": 2},
                             overlap_ratio=0.5)["r"]
    want = frame_turns(wins, labels, [(0.0, 6.0)], prefix="spk", overlap_ratio=0.5)
    assert got == want and got[1].start < got[0].end


def test_overlapping_hypothesis_scores_the_found_overlap():
    """A reference with 1 s of overlap around the change: two-speaker frames inside it
    turn missed speech into correct speech, those outside are false alarm, and the DER
    of the overlapping RTTM matches pyannote."""
    wins = np.array([[s, s + 1.5] for s in np.arange(0, 4.6, 0.75)])
    labels = (wins.mean(axis=1) > 3.0).astype(int)
    ref = [Turn(0.0, 3.5, "a"), Turn(2.5, 6.0, "b")]
    one = frame_turns(wins, labels, [(0.0, 6.0)], prefix="s")
    two = frame_turns(wins, labels, [(0.0, 6.0)], prefix="s", overlap_ratio=0.5)
    r1, r2 = (diarization_error(ref, h, (0, 6)) for h in (one, two))
    assert r1.miss == pytest.approx(1.0) and r1.false_alarm == 0.0
    lo, hi = two[1].start, two[0].end  # the two-speaker span
    inside = max(0.0, min(hi, 3.5) - max(lo, 2.5))
    assert inside > 0.2
    assert r2.miss == pytest.approx(1.0 - inside)
    assert r2.false_alarm == pytest.approx(hi - lo - inside)
    assert r2.confusion == 0.0 and r2.der < r1.der
    core = pytest.importorskip("pyannote.core")
    metrics = pytest.importorskip("pyannote.metrics.diarization")

    def ann(turns):
        a = core.Annotation()
        for i, t in enumerate(turns):
            a[core.Segment(t.start, t.end), i] = t.speaker
        return a

    want = metrics.DiarizationErrorRate(collar=0.25)(
        ann(ref), ann(two), uem=core.Timeline([core.Segment(0, 6)]), detailed=True)
    got = diarization_error(ref, two, (0, 6), collar=0.25)
    assert got.miss == pytest.approx(want["missed detection"], abs=1e-6)
    assert got.false_alarm == pytest.approx(want["false alarm"], abs=1e-6)
    assert got.confusion == pytest.approx(want["confusion"], abs=1e-6)


def test_sad_error_counts_overlap_once():
    ref = {"r": [Turn(0.0, 4.0, "a"), Turn(3.0, 6.0, "b")], "s": []}
    e = sad_error(ref, {"r": [(1.0, 7.0)], "s": [(0.0, 0.5)]}, {"r": 8.0, "s": 1.0}, collar=0)
    assert (e.total, e.miss, e.false_alarm, e.confusion) == (6.0, 1.0, 1.5, 0.0)
    # a collar of 0.5 s removes 0.25 s on each side of the speech edges 0 and 6
    e = sad_error(ref, {"r": [(1.0, 7.0)]}, {"r": 8.0, "s": 1.0}, collar=0.5)
    assert (e.total, e.miss, e.false_alarm) == (5.5, 0.75, 0.75)


def test_silero_regions_from_probabilities():
    pytest.importorskip("silero_vad")
    frame = 512 / 16000  # 32 ms
    probs = np.array([0.0] * 20 + [0.9] * 50 + [0.0] * 30, dtype=np.float32)
    dur = len(probs) * frame
    tight = silero_regions(probs, dur, SileroOptions(0.5, 0.0, 0.1, 0.25))
    assert len(tight) == 1
    assert tight[0][0] == pytest.approx(20 * frame, abs=frame)
    assert tight[0][1] == pytest.approx(70 * frame, abs=frame)
    padded = silero_regions(probs, dur, SileroOptions(0.5, 0.3, 0.1, 0.25))
    assert padded[0][0] == pytest.approx(tight[0][0] - 0.3, abs=0.01)
    assert padded[0][1] == pytest.approx(tight[0][1] + 0.3, abs=0.01)
    assert silero_regions(probs, dur, SileroOptions(0.95, 0.0, 0.1, 0.25)) == []
    assert silero_regions(np.zeros(0), 0.0) == []
    with pytest.raises(SadError, match="threshold 1.2"):
        SileroOptions(threshold=1.2)
    with pytest.raises(SadError, match="pad -1"):
        SileroOptions(pad=-1)


def test_silero_tuning_picks_the_lowest_error(monkeypatch, tmp_path):
    """tune_silero on made-up probabilities (silero's post-processing, no model run):
    speech 1-3 s with weak probabilities (0.4) in its first and last half second; the
    lower threshold finds it all."""
    pytest.importorskip("silero_vad")
    from TrainAndTest.diarization import recipe

    frame = 512 / 16000
    t = (np.arange(200) + 0.5) * frame  # 6.4 s
    probs = np.where((t > 1.0) & (t < 3.0), 0.9, 0.0)
    probs[((t > 1.0) & (t < 1.5)) | ((t > 2.5) & (t < 3.0))] = 0.4
    sf = pytest.importorskip("soundfile")
    wav = tmp_path / "r.wav"
    sf.write(str(wav), np.zeros(int(6.4 * 16000), np.float32), 16000, subtype="PCM_16")
    monkeypatch.setattr(recipe, "silero_probabilities", lambda wave, rate: probs)
    grid = [SileroOptions(0.5, 0.0, 0.1, 0.25), SileroOptions(0.3, 0.0, 0.1, 0.25)]
    best, rows = recipe.tune_silero({"r": str(wav)}, {"r": [Turn(1.0, 3.0, "a")]}, grid,
                                    collar=0.0)
    assert best == grid[1]
    # threshold 0.5 misses the weak start; the weak end stays (speech ends below 0.5 - 0.15)
    assert rows[0][1].miss == pytest.approx(0.5, abs=0.05) and rows[1][1].miss < 0.05


def test_bad_silero_option_is_a_one_line_error(tmp_path, capsys):
    from TrainAndTest.bin import diarize

    (tmp_path / "wav.scp").write_text(f"r {tmp_path / 'r.wav'}\n")
    rc = diarize.main(["sad", "--method", "silero", "--silero-threshold", "1.5", "--wav-scp",
                       str(tmp_path / "wav.scp"), "--segments", str(tmp_path / "segments"),
                       "--reco2dur", str(tmp_path / "reco2dur")])
    assert rc == 1 and "silero threshold 1.5: must be in (0, 1)" in capsys.readouterr().err


def test_sad_region_helpers():
    assert frames_to_regions([1, 1, 0, 0, 1], 0.01) == [(0.0, 0.02), (0.04, 0.05)]
    assert frames_to_regions([], 0.01) == []
    assert clean_regions([(2.0, 3.0), (0.0, 1.0), (1.2, 1.5), (4.0, 4.05)], 0.25, 0.1) == [
        (0.0, 1.5), (2.0, 3.0)]


def test_rttm_and_segments_round_trip(tmp_path):
    turns = {"b": [Turn(1.0, 2.5, "x")], "a": [Turn(0.25, 1.0, "y"), Turn(0.0, 0.5, "x")]}
    write_rttm(tmp_path / "rttm", turns)
    back = read_rttm(tmp_path / "rttm")
    assert list(back) == ["a", "b"] and back["a"] == sorted(turns["a"])
    write_segments(tmp_path / "segments", {"a": [(0.0, 1.25)], "b": [(2.0, 3.5), (0.5, 1.0)]})
    lines = (tmp_path / "segments").read_text().splitlines()
    assert lines[0] == "a-0000000-0000125 a 0.00 1.25"
    assert read_segments(tmp_path / "segments")["b"] == [(0.5, 1.0), (2.0, 3.5)]


@pytest.mark.parametrize("line, match", [
    ("SPEAKER r 1 0.5", "at least 8 fields"),
    ("SPEAKER r 1 abc 1.0 <NA> <NA> s <NA> <NA>", "not numbers"),
    ("SPEAKER r 1 1.0 -2 <NA> <NA> s <NA> <NA>", "negative"),
])
def test_bad_rttm_names_file_and_line(tmp_path, line, match):
    p = tmp_path / "bad.rttm"
    p.write_text("SPEAKER r 1 0.0 1.0 <NA> <NA> s <NA> <NA>\n" + line + "\n")
    with pytest.raises(RttmError, match=rf"bad.rttm:2: .*{match}"):
        read_rttm(p)


def test_bad_segments_name_file_and_line(tmp_path):
    p = tmp_path / "segments"
    p.write_text("u r 0.0 1.0\nv r 2.0 1.0\n")
    with pytest.raises(RttmError, match="segments:2: end 1.0 is not after start 2.0"):
        read_segments(p)


@pytest.mark.parametrize("name", ["rttm", "der", "sad", "embed", "cluster", "reseg", "plot",
                                  "conversations"])
def test_module_examples_run(name):
    import doctest
    import importlib

    outcome = doctest.testmod(importlib.import_module(f"TrainAndTest.diarization.{name}"))
    assert outcome.attempted > 0 and outcome.failed == 0, name
