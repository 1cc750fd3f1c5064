"""Fixtures of the diarization tests: a tiny random-weight model file and synthetic
'voices' (the inference tests' helpers), and a synthetic two-speaker recording."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# the tiny models, front end and voices of the inference tests, shared rather than copied
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))

from inference_helpers import voice, write_model_file, write_wav  # noqa: E402

from tests.torch_threads import single_thread  # noqa: F401,E402  (autouse fixture)
from TrainAndTest.diarization.rttm import Turn  # noqa: E402

RATE = 16000


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """An exp dir with a random-weight tiny ECAPA-TDNN ``final.pt`` and its front end."""
    exp = tmp_path_factory.mktemp("exp_tiny")
    write_model_file(exp, "ecapa_tdnn")
    return exp


def two_voice_recording(turns: int = 8, seed: int = 0, pause: float = 0.5):
    """(samples, reference turns, duration): speakers A (f0 110 Hz) and B (240 Hz)
    alternating, 2-4 s turns with ``pause`` s of silence between them."""
    rng = np.random.default_rng(seed)
    parts, ref, t = [], [], 0.0
    for k in range(turns):
        spk, dur = k % 2, float(rng.uniform(2, 4))
        parts.append(voice(dur, RATE, seed=seed * 100 + k, f0=(110.0, 240.0)[spk]))
        ref.append(Turn(t, t + len(parts[-1]) / RATE, "AB"[spk]))
        t = ref[-1].end
        parts.append(np.zeros(int(pause * RATE), np.float32))
        t += pause
    return np.concatenate(parts), ref, t


@pytest.fixture(scope="session")
def two_voices(tmp_path_factory):
    """A diarization data dir with one two-voice recording: (data dir, turns, duration)."""
    from TrainAndTest.diarization.data_prep import write_recordings_dir

    d = tmp_path_factory.mktemp("two_voices")
    wave, ref, dur = two_voice_recording()
    wav = write_wav(d / "conv.wav", wave)
    write_recordings_dir(d / "data", {"conv": str(wav)}, {"conv": ref}, {"conv": dur})
    return d / "data", ref, dur
