"""Overlapped-speech detection: simulator labels, detector shapes and training, metrics,
and the second speaker that detected frames get in frame voting."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from TrainAndTest.diarization.overlap import (
    DETECTOR_FRONTEND,
    HOP,
    OverlapDetector,
    OverlapSimulator,
    SimulationOptions,
    detection_scores,
    load_detector,
    overlap_probabilities,
    save_detector,
    source_activity,
    train_detector,
)
from TrainAndTest.diarization.reseg import frame_turns
from TrainAndTest.diarization.rttm import Turn

RATE = 16000


def tone(seconds: float, f0: float, amp: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * f0 * t)).astype(np.float32)


def test_source_activity_is_exact_on_a_constructed_source():
    """Active frames: loud 0.2-0.7 s and 1.0-1.5 s; a 0.1 s gap inside is filled, a
    0.3 s gap is not, a 30 ms click is dropped, a -40 dB murmur is inactive."""
    x = np.zeros(2 * RATE, np.float32)
    x[int(0.2 * RATE) : int(0.4 * RATE)] = tone(0.2, 200)
    x[int(0.5 * RATE) : int(0.7 * RATE)] = tone(0.2, 200)  # 0.1 s gap: filled
    x[int(1.0 * RATE) : int(1.5 * RATE)] = tone(0.5, 300)  # 0.3 s gap: kept
    x[int(1.7 * RATE) : int(1.73 * RATE)] = tone(0.03, 300)  # click: dropped
    x[int(1.8 * RATE) : int(1.9 * RATE)] = tone(0.1, 300, amp=0.001)  # -40 dB: inactive
    act = source_activity(x, RATE)
    want = np.zeros(200, bool)
    want[20:70] = True
    want[100:150] = True
    assert len(act) == 200
    np.testing.assert_array_equal(act, want)


def test_simulator_counts_the_sources_it_placed():
    """Utterances of three 'speakers' (tones); every mixture is a whole number of
    frames, its labels count 0-3 sources, and with overlap forced some frames have 2."""
    rng = np.random.default_rng(0)
    utts = {
        f"s{k}": [tone(float(rng.uniform(0.5, 1.0)), 150 + 50 * k) for _ in range(3)]
        for k in range(4)
    }
    rooms = {"r": [np.r_[1.0, np.zeros(99), 0.3, np.zeros(99)].astype(np.float32)]}
    noise = [rng.normal(0, 0.01, RATE).astype(np.float32)]
    sim = OverlapSimulator(
        utts,
        rooms,
        noise,
        SimulationOptions(speaker_probs=(0.0, 1.0, 0.0), patterns=(0.0, 0.0, 1.0)),
    )
    for _ in range(5):
        wave, count = sim.mixture(rng)
        assert wave.dtype == np.float32 and len(wave) == len(count) * HOP
        assert 4.0 <= len(wave) / RATE <= 8.0
        assert count.max() == 2 and (count >= 1).mean() > 0.5
        assert np.abs(wave).max() <= 0.9 + 1e-6
        assert len(DETECTOR_FRONTEND.from_audio(wave, RATE, seed=0)) == len(count)


def test_simulator_labels_match_the_sources_without_noise():
    """One speaker, no reverberation or noise: the labels are exactly that source's
    activity (the mixture is the source up to a gain and -60 dB noise)."""
    utts = {f"s{k}": [tone(0.8, 200 + 30 * k)] for k in range(3)}
    sim = OverlapSimulator(
        utts, {}, [], SimulationOptions(speaker_probs=(1.0, 0.0, 0.0), noise_prob=0.0)
    )
    wave, count = sim.mixture(np.random.default_rng(3))
    assert set(np.unique(count)) <= {0, 1}
    np.testing.assert_array_equal(source_activity(wave, RATE, below_db=20.0), count == 1)


@pytest.mark.parametrize("frames", [1, 37])
def test_detector_shapes_and_backward(frames):
    model = OverlapDetector(feat_dim=24, channels=8, hidden=4)
    x = torch.randn(2, frames, 24, requires_grad=True)
    y = model.train()(x)
    assert y.shape == (2, frames)
    y.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in model.parameters())


def test_train_save_load_and_probabilities(tmp_path):
    """A few steps on a trivial task lower the loss; the saved model carries its front
    end and gives one probability per 10 ms frame of a recording."""
    rng = np.random.default_rng(0)
    feats = [rng.normal(0, 1, (60, 80)).astype(np.float16) for _ in range(16)]
    targets = [(f[:, 0] > 0).astype(np.float32) for f in feats]
    model = OverlapDetector(feat_dim=80, channels=16, hidden=8)
    model = train_detector(
        feats, targets, epochs=8, batch_size=8, chunk=40, lr=1e-2, model=model, log=lambda s: None
    )
    from TrainAndTest.diarization.overlap import evaluate_bce

    bce, acc = evaluate_bce(model, feats, targets)
    assert acc > 0.7
    save_detector(model, tmp_path / "ovl.pt", {"note": "test"})
    loaded, frontend = load_detector(tmp_path / "ovl.pt")
    assert frontend == DETECTOR_FRONTEND
    wave = tone(1.0, 220)
    p = overlap_probabilities(loaded, frontend, wave, RATE)
    assert p.shape == (100,) and ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p, overlap_probabilities(model, frontend, wave, RATE), atol=1e-6)


def test_detection_scores_known_answer():
    """AUC of a perfect ranking is 1, of a reversed one 0; silence frames are ignored."""
    count = np.array([0, 1, 1, 2, 2, 0])
    prob = np.array([0.99, 0.1, 0.2, 0.8, 0.9, 0.99])
    s = detection_scores(prob, count, [0.5, 0.15])
    assert s["frames"] == 4 and s["positives"] == 2
    assert s["auc"] == 1.0 and s["pr"][0.5] == (1.0, 1.0) and s["pr"][0.15] == (2 / 3, 1.0)
    assert detection_scores(1 - prob, count, [0.5])["auc"] == 0.0


def test_detected_overlap_gets_the_second_speaker():
    """Windows 0-1.5 (A), 0.75-2.25 (A), 1.5-3.0 (B), 2.25-3.75 (B), 3.0-4.5 (C); one
    speaker per frame gives A to 1.88 s, B to 3.38 s, then C. Marked frames at 1.7-1.9 s
    (A and B windows both cover them) get the other of the two largest votes: B from
    1.7 s, A to 1.9 s; at 0.2-0.4 s only A's window covers them: the nearest window of
    another label is B's (centre 2.25 s); at 4.2-4.4 s only C's: B's (centre 3.0 s)."""
    wins = np.array([[0.0, 1.5], [0.75, 2.25], [1.5, 3.0], [2.25, 3.75], [3.0, 4.5]])
    labels = np.array([0, 0, 1, 1, 2])
    one = frame_turns(wins, labels, [(0.0, 4.5)])
    assert one == [Turn(0.0, 1.88, "0"), Turn(1.88, 3.38, "1"), Turn(3.38, 4.5, "2")]
    marked = np.zeros(450, bool)
    marked[20:40] = marked[170:190] = marked[420:440] = True
    got = frame_turns(wins, labels, [(0.0, 4.5)], overlap_frames=marked)
    assert got == [
        Turn(0.0, 1.9, "0"),
        Turn(0.2, 0.4, "1"),
        Turn(1.7, 3.38, "1"),
        Turn(3.38, 4.5, "2"),
        Turn(4.2, 4.4, "1"),
    ]
    # marks outside the speech regions add nothing; nothing marked, a mask shorter than
    # the recording, or one label only: one speaker per frame
    assert frame_turns(wins, labels, [(0.0, 4.0)], overlap_frames=marked) == [
        Turn(0.0, 1.9, "0"),
        Turn(0.2, 0.4, "1"),
        Turn(1.7, 3.38, "1"),
        Turn(3.38, 4.0, "2"),
    ]
    assert frame_turns(wins, labels, [(0.0, 4.5)], overlap_frames=np.zeros(10, bool)) == one
    single = frame_turns(wins, np.zeros(5, int), [(0.0, 4.5)], overlap_frames=marked)
    assert single == [Turn(0.0, 4.5, "0")]


def test_train_from_a_tiny_corpus(tmp_path):
    """train_from_corpora on a VoxCeleb-layout corpus of tones: only the dev
    speakers are read (a test speaker's file is unreadable), the same seed gives the
    same simulated features, and the model file loads with its front end."""
    import soundfile as sf

    from TrainAndTest.diarization.overlap import (
        load_simulator,
        simulate_features,
        train_from_corpora,
    )

    root = tmp_path / "minivox"
    rows = ["speaker,gender,corpus,set,utterances"]
    for k in range(4):
        spk = f"s{k}"
        part = "test" if k == 3 else "dev"
        rows.append(f"{spk},m,x,{part},2")
        d = root / "wav" / spk / "sess"
        d.mkdir(parents=True)
        for u in range(2):
            if part == "test":
                (d / f"{u}.wav").write_bytes(b"not audio")
            else:
                sf.write(d / f"{u}.wav", tone(0.8 + 0.2 * u, 150 + 60 * k), RATE)
    (root / "meta.csv").write_text("\n".join(rows) + "\n")
    musan = tmp_path / "musan" / "noise" / "free-sound"
    musan.mkdir(parents=True)
    sf.write(musan / "n.wav", np.random.default_rng(0).normal(0, 0.1, 2 * RATE), RATE)
    rirs = tmp_path / "RIRS_NOISES" / "simulated_rirs" / "smallroom"
    (rirs / "Room001").mkdir(parents=True)
    sf.write(rirs / "Room001" / "r1.wav", np.r_[1.0, np.zeros(99), 0.3, np.zeros(99)], RATE)
    (rirs / "rir_list").write_text(
        f"--rir-id r1 --room-id smallroom-Room001 {rirs / 'Room001' / 'r1.wav'}\n"
    )
    sim = load_simulator(root, tmp_path / "musan", tmp_path / "RIRS_NOISES")
    assert sim.speakers == ["s0", "s1", "s2"] and len(sim.rooms) == 1 and len(sim.noises) == 1
    a, ca = simulate_features(sim, 3, seed=5)
    b, cb = simulate_features(sim, 3, seed=5)
    assert all((x == y).all() for x, y in zip(a, b)) and all((x == y).all() for x, y in zip(ca, cb))
    out = tmp_path / "ovl.pt"
    train_from_corpora(root, tmp_path / "musan", tmp_path / "RIRS_NOISES", out,
                       num_mixtures=4, valid_mixtures=2, epochs=1, log=lambda m: None)  # fmt: skip
    assert (tmp_path / "ovl.ep1.pt").is_file()
    model, frontend = load_detector(out)
    assert frontend == DETECTOR_FRONTEND
    assert torch.load(out, weights_only=False)["info"]["num_mixtures"] == 4
