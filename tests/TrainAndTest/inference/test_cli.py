"""embed and verify entry points on generated audio, bad inputs included (issue 15, items 4, 6).

No model trained on minivox exists in this session; these use a tiny stored model.
"""

from __future__ import annotations

import subprocess
import sys

import kaldiio
import numpy as np
import pytest
import torch
from inference_helpers import bad_inputs, voice, write_model_file, write_wav

from TrainAndTest.inference import Encoder, cosine_score
from TrainAndTest.inference.operating_point import write_thresholds


def run(env, *args):
    return subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True)


@pytest.fixture
def setup(tmp_path):
    exp = tmp_path / "exp"
    write_model_file(exp, "xvector_tdnn")
    audio = tmp_path / "audio"
    (audio / "spk1").mkdir(parents=True)
    write_wav(audio / "spk1" / "a.wav", voice(1.0, seed=1))
    write_wav(audio / "spk1" / "b.wav", voice(1.5, seed=2))
    write_wav(audio / "c.wav", voice(1.2, seed=3, f0=200))
    return exp, audio


def test_embed_dir_npy_and_scp_ark(tmp_path, setup, recipe_env):
    exp, audio = setup
    proc = run(recipe_env, "TrainAndTest.bin.embed", str(exp), str(audio), str(tmp_path / "e.npy"))
    assert proc.returncode == 0, proc.stderr
    keys = (tmp_path / "e.keys").read_text().split()
    assert keys == ["c", "spk1-a", "spk1-b"]
    mat = np.load(tmp_path / "e.npy")
    enc = Encoder.load(exp)
    np.testing.assert_allclose(mat[1], enc(audio / "spk1" / "a.wav")[0].numpy(), atol=1e-6)
    scp = tmp_path / "wav.scp"
    scp.write_text(f"u1 {audio}/c.wav\nu2 {audio}/spk1/b.wav\n")
    proc = run(recipe_env, "TrainAndTest.bin.embed", str(exp), str(scp), str(tmp_path / "x.ark"))
    assert proc.returncode == 0, proc.stderr
    vecs = dict(kaldiio.load_scp(str(tmp_path / "x.scp")))
    np.testing.assert_allclose(vecs["u1"], mat[0], atol=1e-6)
    np.testing.assert_allclose(vecs["u2"], mat[2], atol=1e-6)


def test_embed_reports_bad_files_and_keeps_good_ones(tmp_path, setup, recipe_env):
    exp, audio = setup
    bad = bad_inputs(tmp_path / "bad")
    scp = tmp_path / "wav.scp"
    lines = [f"good {audio}/c.wav"] + [f"{k} {p}" for k, p in sorted(bad.items())]
    scp.write_text("\n".join(lines) + "\n")
    proc = run(recipe_env, "TrainAndTest.bin.embed", str(exp), str(scp), str(tmp_path / "o.ark"))
    assert proc.returncode == 0, proc.stderr
    written = sorted(dict(kaldiio.load_scp(str(tmp_path / "o.scp"))))
    assert written == ["44k", "8k", "good", "stereo"]
    for key in ("empty", "missing", "not_audio", "short", "zeros"):
        assert f"FAILED {key}: {bad[key]}" in proc.stderr, key
    assert "wrote 4 embeddings" in proc.stderr and "5 failed" in proc.stderr
    strict = run(
        recipe_env,
        "TrainAndTest.bin.embed",
        "--strict",
        str(exp),
        str(scp),
        str(tmp_path / "o2.ark"),
    )
    assert strict.returncode == 2
    only_bad = run(
        recipe_env, "TrainAndTest.bin.embed", str(exp), str(bad["missing"]), str(tmp_path / "n.npy")
    )
    assert only_bad.returncode == 1 and not (tmp_path / "n.npy").exists()


def test_verify_scores_decides_and_averages_enrolment(tmp_path, setup, recipe_env):
    exp, audio = setup
    a, b, c = audio / "spk1" / "a.wav", audio / "spk1" / "b.wav", audio / "c.wav"
    enc = Encoder.load(exp)
    want = cosine_score((enc(a)[0] + enc(b)[0]) / 2, enc(c)[0])
    proc = run(recipe_env, "TrainAndTest.bin.verify", str(exp), f"{a},{b}", str(c))
    assert proc.returncode == 0, proc.stderr
    fields = dict(kv.split("=") for kv in proc.stdout.split())
    assert abs(float(fields["score"]) - want) < 1e-5
    assert fields["decision"] == "none" and "pass --threshold" in proc.stderr
    # stored operating point: calibration and thresholds
    write_thresholds(
        exp,
        [
            {"operating_point": "EER", "threshold": want - 0.01, "far": 0.1, "frr": 0.1},
            {"operating_point": "FAR 1%", "threshold": want + 0.01, "far": 0.01, "frr": 0.4},
        ],
    )
    np.savez(
        exp / "calibration" / "calibration.npz",
        weights=np.array([10.0]),
        bias=np.array(-3.0),
        p_target=np.array(0.5),
    )
    proc = run(recipe_env, "TrainAndTest.bin.verify", str(exp), f"{a},{b}", str(c))
    fields = dict(kv.split("=") for kv in proc.stdout.split())
    assert fields["decision"] == "accept"
    assert abs(float(fields["llr"]) - (10 * want - 3)) < 1e-3
    proc = run(
        recipe_env, "TrainAndTest.bin.verify", "--target-far", "0.01", str(exp), str(a), str(c)
    )
    assert dict(kv.split("=") for kv in proc.stdout.split())["decision"] == "reject"
    proc = run(recipe_env, "TrainAndTest.bin.verify", "--threshold", "-1", str(exp), str(a), str(c))
    assert dict(kv.split("=") for kv in proc.stdout.split())["decision"] == "accept"
    proc = run(
        recipe_env, "TrainAndTest.bin.verify", "--target-far", "0.001", str(exp), str(a), str(c)
    )
    assert proc.returncode == 1 and "no row for FAR 0.1%; rows: EER, FAR 1%" in proc.stderr


@pytest.mark.parametrize("key", ["zeros", "short", "empty", "not_audio", "missing"])
def test_verify_bad_input_is_one_named_error(tmp_path, setup, recipe_env, key):
    exp, audio = setup
    bad = bad_inputs(tmp_path / "bad")
    proc = run(
        recipe_env,
        "TrainAndTest.bin.verify",
        str(exp),
        f"{audio}/c.wav,{bad[key]}",
        str(audio / "c.wav"),
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(f"verify: {bad[key]}: "), proc.stderr


def test_verify_resamples_and_downmixes(tmp_path, setup, recipe_env):
    exp, audio = setup
    bad = bad_inputs(tmp_path / "bad")
    proc = run(
        recipe_env,
        "TrainAndTest.bin.verify",
        "--threshold",
        "0.5",
        str(exp),
        f"{bad['8k']},{bad['44k']}",
        str(bad["stereo"]),
    )
    assert proc.returncode == 0, proc.stderr
    score = float(dict(kv.split("=") for kv in proc.stdout.split())["score"])
    assert -1.0 <= score <= 1.0 and np.isfinite(score)
    assert torch.isfinite(Encoder.load(exp)(bad["stereo"])).all()
