"""The diarization pipeline end to end with a tiny random-weight model on synthetic voices:
a known answer with oracle speech and count, SAD, threshold tuning, and bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import RATE, two_voice_recording, voice, write_wav

from TrainAndTest.bin import diarize
from TrainAndTest.diarization.der import diarization_error
from TrainAndTest.diarization.recipe import (
    RecipeError,
    detect_recordings,
    diarize_recordings,
    embed_recordings,
    tune_threshold,
)
from TrainAndTest.diarization.rttm import read_rttm, speech_regions
from TrainAndTest.inference import Encoder

REPO = Path(__file__).resolve().parents[3]


def test_run_diarization_known_answer(tiny_model, two_voices, tmp_path, recipe_env):
    """Two clearly different voices, oracle speech and count: DER 0 (a broken embedding,
    clustering or voting step would mix the speakers)."""
    data, ref, _ = two_voices
    out = tmp_path / "out"
    proc = subprocess.run(
        ["bash", "local/run_diarization.sh", "--nj", "1", "--sad", "oracle",
         "--num-speakers-from-reference", "true", str(tiny_model), str(data), str(out)],
        cwd=REPO, env=recipe_env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    hyp = read_rttm(out / "rttm")["conv"]
    assert len({t.speaker for t in hyp}) == 2
    assert diarization_error(ref, hyp, (0, ref[-1].end + 0.5), collar=0.25).der < 0.01
    results = (out / "RESULTS.md").read_text()
    assert "| **all** |" in results and "speaker count oracle" in results
    assert (out / "plots" / "conv.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "segments").read_text().count(" conv ") == len(ref)


def test_energy_sad_finds_the_voices(two_voices):
    pytest.importorskip("soundfile")
    from Process_Data.data_dir import read_kv
    from Process_Data.features.frontend import Frontend, option_file_args

    data, ref, dur = two_voices
    fe = Frontend("mfcc", tuple(option_file_args(REPO / "conf/mfcc_30.conf")), vad=True,
                  vad_args=tuple(option_file_args(REPO / "conf/vad.conf")))
    regions, durations = detect_recordings(read_kv(data / "wav.scp"), "energy", ["conv"],
                                           energy_frontend=fe)
    assert durations["conv"] == pytest.approx(dur, abs=0.01)
    hyp = [t._replace(speaker="s") for t in ref]
    found = [hyp[0]._replace(start=s, end=e) for s, e in regions["conv"]]
    err = diarization_error(hyp, found, (0, dur))
    assert err.miss / err.total < 0.1 and err.false_alarm / err.total < 0.1


def test_silence_gives_no_speech_and_an_empty_rttm(tmp_path, tiny_model, capsys):
    pytest.importorskip("silero_vad")
    wav = write_wav(tmp_path / "quiet.wav",
                    np.random.default_rng(0).normal(0, 1e-4, 3 * RATE).astype(np.float32))
    warnings = []
    regions, _ = detect_recordings({"quiet": str(wav)}, "silero", ["quiet"], log=warnings.append)
    assert regions == {"quiet": []} and "no speech" in warnings[0]
    emb = tmp_path / "emb"
    encoder = Encoder.load(tiny_model)
    assert embed_recordings({"quiet": str(wav)}, regions, encoder, emb) == 0
    assert diarize_recordings(emb, regions, "spectral") == {"quiet": []}
    # a speech region (say, from a reference) over digital silence: no window, a warning
    zeros = write_wav(tmp_path / "zeros.wav", np.zeros(2 * RATE, np.float32))
    regions = {"zeros": [(0.2, 1.8)]}
    assert embed_recordings({"zeros": str(zeros)}, regions, encoder, emb) == 0
    assert "digital silence" in capsys.readouterr().err
    warnings.clear()
    assert diarize_recordings(emb, regions, "ahc", log=warnings.append) == {"zeros": []}
    assert "too short to embed" in warnings[0]


def test_shorter_than_one_window_is_one_speaker(tmp_path, tiny_model):
    wav = write_wav(tmp_path / "short.wav", voice(0.9, RATE))
    regions = {"short": [(0.0, 0.9)]}
    emb = tmp_path / "emb"
    assert embed_recordings({"short": str(wav)}, regions, Encoder.load(tiny_model), emb) == 1
    for method in ("ahc", "spectral", "umap_hdbscan"):
        turns = diarize_recordings(emb, regions, method)["short"]
        assert [(t.start, t.end) for t in turns] == [(0.0, 0.9)]


def test_tuning_picks_the_lowest_der(tmp_path, tiny_model):
    wave, ref, dur = two_voice_recording(turns=6, seed=3)
    wav = write_wav(tmp_path / "c.wav", wave)
    regions = {"c": speech_regions(ref)}
    embed_recordings({"c": str(wav)}, regions, Encoder.load(tiny_model), tmp_path / "emb")
    best, rows = tune_threshold(tmp_path / "emb", regions, {"c": ref}, {"c": dur},
                                [-1.0, 0.0, 0.5, 0.99])
    ders = dict((t, r.der) for t, r in rows)
    assert ders[best] == min(ders.values())
    assert ders[-1.0] > 0.3  # everything one speaker


def test_bad_inputs_name_the_file(tmp_path, tiny_model, capsys):
    wav_scp = tmp_path / "wav.scp"
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio at all")
    wav_scp.write_text(f"gone {tmp_path / 'gone.wav'}\nbroken {broken}\n")
    with pytest.raises(RecipeError, match="recording 'x' has no entry in wav.scp"):
        detect_recordings({}, "silero", ["x"])
    for reco, name in (("gone", "gone.wav"), ("broken", "broken.wav")):
        scp = tmp_path / f"{reco}.scp"
        scp.write_text([line for line in wav_scp.read_text().splitlines()
                        if line.startswith(reco)][0] + "\n")
        rc = diarize.main(["sad", "--method", "silero", "--wav-scp", str(scp),
                           "--segments", str(tmp_path / "seg"), "--reco2dur", str(tmp_path / "d")])
        err = capsys.readouterr().err
        assert rc == 1 and name in err and f"recording '{reco}'" in err
    # segments naming a recording the job does not know
    (tmp_path / "segments").write_text("y-0-1 y 0.0 1.0\n")
    (tmp_path / "reco2dur").write_text("z 2.0\n")
    rc = diarize.main(["cluster", "--segments", str(tmp_path / "segments"), "--reco2dur",
                       str(tmp_path / "reco2dur"), "--emb-dir", str(tmp_path), "--rttm",
                       str(tmp_path / "rttm")])
    assert rc == 1 and "recording 'y' is not in" in capsys.readouterr().err


def test_run_diarization_rejects_bad_options(tiny_model, two_voices, tmp_path, recipe_env):
    data, _, _ = two_voices
    for opts, message in ((["--sad", "webrtc"], "--sad webrtc: valid are energy silero oracle"),
                          (["--cluster", "kmeans"], "--cluster kmeans: valid are"),
                          (["--tune", "yes"], "expected true or false for --tune")):
        proc = subprocess.run(["bash", "local/run_diarization.sh", *opts, str(tiny_model),
                               str(data), str(tmp_path / "o")], cwd=REPO, env=recipe_env,
                              capture_output=True, text=True)
        assert proc.returncode == 1 and message in proc.stderr
