"""CPU real-time factor of inference: eager PyTorch, TorchScript and onnxruntime.

One thread, one 10 s utterance at 16 kHz (front end included: waveform in, embedding
out), for ECAPA-TDNN C=512 and ResNet34 with 80-dim fbank, plus SpeechBrain's
``ECAPA_TDNN`` of the same configuration (C=512, 192-dim embedding, network only on the
same fbank input) when speechbrain is installed. RTF = seconds of compute / seconds of
audio, the median of ``--repeats`` runs after one warm-up. Context: WeSpeaker publishes
onnxruntime RTFs of 0.018 (ECAPA C=512) and 0.061 (ResNet34) on one CPU core.

Usage:
    python bench/inference.py [--seconds 10] [--repeats 5] [--models ecapa_tdnn_c512,resnet34]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from Process_Data.features.frontend import Frontend  # noqa: E402
from TrainAndTest.inference import Encoder  # noqa: E402
from TrainAndTest.inference.export import export_encoder  # noqa: E402
from TrainAndTest.models import MODELS  # noqa: E402

FRONTEND = Frontend("fbank", ("--num-mel-bins=80", "--snip-edges=false"), cmn="sliding")


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def speechbrain_rtf(wave: np.ndarray, seconds: float, repeats: int):
    """RTF of SpeechBrain's ECAPA_TDNN configured as our C=512 (``bench/models.py``), eager,
    behind our fbank front end; None when speechbrain cannot be imported (it imports
    torchaudio at import time: a stand-in package with an empty ``__init__.py`` on
    PYTHONPATH is enough)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_models", REPO / "bench" / "models.py")
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    net = models.speechbrain_ecapa(512)
    if net is None:
        return None
    net.eval()

    def run():
        with torch.inference_mode():
            net(torch.from_numpy(FRONTEND.from_audio(wave, 16000))[None])

    return median_seconds(run, repeats) / seconds


def main(argv=None) -> int:
    """Measure and print a Markdown table; returns the exit status."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--models", default="ecapa_tdnn_c512,resnet34")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal(int(args.seconds * 16000))).astype(np.float32)
    batch = torch.from_numpy(wave)[None]
    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
    print(
        f"CPU, 1 thread, {args.seconds:g} s input, median of {args.repeats}; torch "
        f"{torch.__version__}" + (f", onnxruntime {ort.__version__}" if ort else "")
    )
    print("| model | eager | TorchScript | onnxruntime |")
    print("|---|---:|---:|---:|")
    tmp = Path(tempfile.mkdtemp())
    for name in args.models.split(","):
        enc = Encoder(MODELS.build(name, feat_dim=80), FRONTEND)
        eager = median_seconds(lambda e=enc: e(batch, 16000), args.repeats) / args.seconds
        ts = torch.jit.load(str(export_encoder(enc, "torchscript", tmp / f"{name}.pt")))

        def run_ts(m=ts):
            with torch.inference_mode():
                m(batch)

        tsr = median_seconds(run_ts, args.repeats) / args.seconds
        ortr = float("nan")
        if ort is not None:
            export_encoder(enc, "onnx", tmp / f"{name}.onnx")
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            so.inter_op_num_threads = 1
            sess = ort.InferenceSession(
                str(tmp / f"{name}.onnx"), so, providers=["CPUExecutionProvider"]
            )
            x = batch.numpy()
            ortr = (
                median_seconds(lambda s=sess, x=x: s.run(None, {"waveform": x}), args.repeats)
                / args.seconds
            )
        print(f"| {name} (ours) | {eager:.4f} | {tsr:.4f} | {ortr:.4f} |", flush=True)
    sb = speechbrain_rtf(wave, args.seconds, args.repeats)
    print(
        "| SpeechBrain ECAPA_TDNN C=512 (eager, our fbank front end) | "
        + (f"{sb:.4f}" if sb is not None else "not installed")
        + " | | |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
