"""Export: TorchScript and ONNX (onnxruntime) embeddings equal eager PyTorch (issue 15, item 3).

The bound: max abs difference <= 1e-4 after length normalisation, fp32, for 0.5 s, 3 s
and 20 s inputs, batch sizes 1 and 3, per model. Eager is the :class:`Encoder` (numpy
front end with ``torch.fft``) with ``dither=0``, as the exported models, which hold the
matrix-DFT front end and no dither (see :mod:`TrainAndTest.inference.export`).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from inference_helpers import FRONTEND, TINY, build, voice, write_model_file

from Process_Data.features.frontend import Frontend, FrontendError
from TrainAndTest.inference import Encoder
from TrainAndTest.inference.export import export_encoder, sidecar_path
from TrainAndTest.inference.operating_point import write_thresholds

BOUND = 1e-4
LENGTHS = (0.5, 3.0, 20.0)


def _ort():
    return pytest.importorskip(
        "onnxruntime",
        reason="onnxruntime absent: install the 'export' extra (utils/setup_venv.sh --with-export)",
    )


def _norm(x) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.as_tensor(np.asarray(x)).float(), dim=1)


def _batch(seconds: float, size: int) -> np.ndarray:
    return np.stack([voice(seconds, seed=10 * size + i, f0=100 + 30 * i) for i in range(size)])


@pytest.mark.parametrize("name", sorted(TINY))
def test_exported_equal_eager(tmp_path, name):
    ort = _ort()
    pytest.importorskip("onnx", reason="onnx absent: install the 'export' extra")
    enc = Encoder(build(name), FRONTEND, dither=0)
    ts = torch.jit.load(str(export_encoder(enc, "torchscript", tmp_path / "m.pt")))
    export_encoder(enc, "onnx", tmp_path / "m.onnx")
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    worst = {}
    for seconds in LENGTHS:
        for size in (1, 3):
            wave = _batch(seconds, size)
            eager = _norm(enc(torch.from_numpy(wave), 16000))
            with torch.no_grad():
                got_ts = _norm(ts(torch.from_numpy(wave)))
            got_onnx = _norm(sess.run(["embedding"], {"waveform": wave})[0])
            worst[("torchscript", seconds, size)] = float((got_ts - eager).abs().max())
            worst[("onnx", seconds, size)] = float((got_onnx - eager).abs().max())
    print(name, {f"{k[0]} {k[1]}s b{k[2]}": f"{v:.1e}" for k, v in worst.items()})
    assert max(worst.values()) <= BOUND, worst


def test_onnx_features_input_with_vad_front_end(tmp_path):
    ort = _ort()
    pytest.importorskip("onnx", reason="onnx absent: install the 'export' extra")
    fe = Frontend(
        "mfcc",
        ("--num-mel-bins=30", "--num-ceps=30", "--snip-edges=false"),
        vad=True,
        cmn="sliding",
    )
    enc = Encoder(build("xvector_tdnn", feat_dim=30), fe)
    with pytest.raises(FrontendError, match="VAD.*--input features"):
        export_encoder(enc, "onnx", tmp_path / "w.onnx")
    export_encoder(enc, "onnx", tmp_path / "f.onnx", input_kind="features")
    side = json.loads(sidecar_path(tmp_path / "f.onnx").read_text())
    assert side["input"] == "features" and side["input_shape"] == ["batch", "frames", 30]
    sess = ort.InferenceSession(str(tmp_path / "f.onnx"), providers=["CPUExecutionProvider"])
    for seconds in (0.5, 3.0):
        feats = enc.features(voice(seconds, seed=1), 16000)  # VAD + CMN outside
        got = sess.run(None, {"features": feats[None]})[0]
        want = enc(torch.from_numpy(voice(seconds, seed=1)), 16000)
        assert float((_norm(got) - _norm(want)).abs().max()) <= BOUND


def test_sidecar_and_cli(tmp_path, recipe_env):
    exp = tmp_path / "exp"
    write_model_file(exp, "ecapa_tdnn")
    write_thresholds(exp, [{"operating_point": "EER", "threshold": 0.4, "far": 0.05, "frr": 0.05}])
    out = tmp_path / "out" / "model.pt"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "TrainAndTest.bin.export",
            str(exp),
            "--format",
            "torchscript",
            str(out),
        ],
        env=recipe_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    side = json.loads(sidecar_path(out).read_text())
    assert side["sample_rate"] == 16000 and side["embed_dim"] == 24 and side["feat_dim"] == 40
    eager = Encoder.load(exp, dither=0)  # the exported front end has no dither
    assert Frontend.from_dict(side["frontend"]) == eager.frontend != Encoder.load(exp).frontend
    assert side["operating_point"]["thresholds"][0]["threshold"] == 0.4
    assert side["operating_point"]["calibration"] is None
    assert not list(out.parent.glob("*.tmp"))
    wave = torch.from_numpy(_batch(1.0, 1))
    torch.testing.assert_close(
        torch.jit.load(str(out))(wave).detach(), eager(wave, 16000), atol=1e-4, rtol=0
    )
    # bad input: a missing exp dir is one line naming it
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "TrainAndTest.bin.export",
            str(tmp_path / "nope"),
            "--format",
            "onnx",
            str(tmp_path / "x.onnx"),
        ],
        env=recipe_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert f"no model at {tmp_path / 'nope'}" in proc.stderr
    assert not (tmp_path / "x.onnx").exists()
