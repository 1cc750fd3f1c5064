"""Training-step time of a model under fp32 eager (the reference), bf16 autocast, and bf16
autocast + torch.compile (the embedding network compiled in place, as the trainer does).

One step = forward, AAM-softmax loss, backward, Adam update on a batch of random features.
Prints seconds per step (median of the timed steps), examples (egs) per second, the speed-up
over fp32 eager of the same model in the same process and, on a GPU, the mean utilisation
(NVML, sampled every 20 ms during the timed steps) and the peak memory.

With ``--reference speechbrain`` every ECAPA-TDNN model is also run as SpeechBrain's
``ECAPA_TDNN`` of the same layout (bench/sb_reference.py), with the same loss, optimiser,
batch and mode, right after ours; the last column is ours / SpeechBrain in s/step (below 1:
ours is faster). SpeechBrain rows are skipped with a message when it cannot be imported.

Usage:
    python bench/train_step.py [--models "ecapa_tdnn:channels=256;embed_dim=192,xvector_tdnn"] [--batch 128]
        [--frames 150] [--threads 2] [--steps 4] [--device cuda] [--reference speechbrain]

On a CPU the bf16 rows need AVX512-BF16 or AMX to pay off. Issue 18's GPU check (ECAPA
C=1024, bf16, against SpeechBrain):
    python bench/train_step.py --device cuda --models ecapa_tdnn_c1024 --batch 128 --frames 200 \\
        --steps 20 --warmup 5 --reference speechbrain
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.sb_reference import speechbrain_ecapa  # noqa: E402
from TrainAndTest.losses import LOSSES  # noqa: E402
from TrainAndTest.models import MODELS  # noqa: E402


def parse_model(text: str):
    """``name:key=value;key=value`` -> (name, kwargs); values are ints when they parse."""
    name, _, rest = text.partition(":")
    conf = {}
    for item in filter(None, rest.split(";")):
        k, v = item.split("=")
        conf[k] = int(v) if v.lstrip("-").isdigit() else v
    return name, conf


class GpuSampler:
    """Mean GPU utilisation (%) over a window, from NVML polled every ``interval`` s; None
    where NVML (PyPI ``nvidia-ml-py``) or a GPU is missing."""

    def __init__(self, device: str, interval: float = 0.02):
        self.interval, self.samples, self.handle = interval, [], None
        if not device.startswith("cuda"):
            return
        try:
            import pynvml

            pynvml.nvmlInit()
            index = torch.device(device).index
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device() if index is None else index)
            self._util = pynvml.nvmlDeviceGetUtilizationRates
        except Exception as err:  # no NVML: utilisation is not reported
            print(f"# GPU utilisation not sampled: {err}")

    def __enter__(self):
        self.samples, self._stop = [], threading.Event()
        if self.handle is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.samples.append(self._util(self.handle).gpu)

    def __exit__(self, *exc):
        self._stop.set()
        if self.handle is not None:
            self._thread.join()

    def mean(self) -> Optional[float]:
        return statistics.fmean(self.samples) if self.samples else None


class SpeechBrainEmbedding(torch.nn.Module):
    """SpeechBrain's ECAPA_TDNN returning (batch, embed_dim), as our models do."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net
        self.embed_dim = net.fc.conv.out_channels

    def forward(self, x):
        return self.net(x).squeeze(1)


def ecapa_channels(model: torch.nn.Module) -> Optional[int]:
    """The frame-layer width of one of our ECAPA-TDNN models, None for other models."""
    layer = getattr(model, "input_layer", None)
    conv = getattr(layer, "conv", None)
    return conv.out_channels if type(model).__name__.lower().startswith("ecapa") and conv is not None else None


def time_steps(build: Callable[[], torch.nn.Module], mode: str, args, sampler: GpuSampler):
    """(median s/step, mean GPU utilisation or None, peak GPU memory GiB or None)."""
    torch.manual_seed(0)
    model = build().to(args.device)
    loss = LOSSES.build("aam_softmax", embed_dim=model.embed_dim, num_classes=args.classes,
                        margin=0.2, scale=30).to(args.device)  # fmt: skip
    opt = torch.optim.Adam(list(model.parameters()) + list(loss.parameters()), 1e-3)
    if mode == "bf16+compile":
        model.compile()
    x = torch.randn(args.batch, args.frames, args.feat_dim, device=args.device)
    y = torch.randint(0, args.classes, (args.batch,), device=args.device)
    cuda = args.device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    def step():
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=mode != "fp32"):
            emb = model(x)
        out = loss(emb.float(), y)
        (out.loss if hasattr(out, "loss") else out).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    times = []
    with sampler:
        for _ in range(args.steps):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    return statistics.median(times), sampler.mean(), peak


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--models",
        default="ecapa_tdnn:channels=256;embed_dim=192,xvector_tdnn:channels=512;stats_channels=1500;embed_dim=256",
        help="comma-separated registry names, each with optional ':key=value;key=value' options",
    )
    p.add_argument("--modes", default="fp32,bf16,bf16+compile")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--feat-dim", type=int, default=80)
    p.add_argument("--classes", type=int, default=300)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--device", default="cpu")
    p.add_argument("--reference", choices=["none", "speechbrain"], default="none",
                   help="also time SpeechBrain's ECAPA_TDNN of the same layout for ECAPA models")
    args = p.parse_args(argv)
    modes = args.modes.split(",")
    unknown = sorted(set(modes) - {"fp32", "bf16", "bf16+compile"})
    if unknown:
        p.error(f"--modes: unknown mode(s) {', '.join(unknown)} (valid: fp32, bf16, bf16+compile)")
    torch.set_num_threads(args.threads)
    sampler = GpuSampler(args.device)
    where = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else f"{args.threads} threads"
    print(f"torch {torch.__version__}, {args.device} ({where}), batch {args.batch} x {args.frames} frames x "
          f"{args.feat_dim}, median of {args.steps} steps after {args.warmup}")
    print("| model | mode | s/step | egs/s | GPU util % | peak GiB | speed-up vs fp32 eager | ours / SpeechBrain |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for spec in args.models.split(","):
        name, conf = parse_model(spec)
        ours = lambda n=name, c=conf: MODELS.build(n, feat_dim=args.feat_dim, **c)  # noqa: E731
        systems = [(spec, ours)]
        model = ours()
        channels = ecapa_channels(model)
        if args.reference == "speechbrain" and channels is not None:
            if speechbrain_ecapa(channels, args.feat_dim, model.embed_dim) is not None:
                systems.append((f"speechbrain ECAPA_TDNN C={channels}", lambda c=channels, e=model.embed_dim:
                                SpeechBrainEmbedding(speechbrain_ecapa(c, args.feat_dim, e))))
        fp32 = {}
        for mode in modes:
            rows = [(label, *time_steps(build, mode, args, sampler)) for label, build in systems]
            for label, sec, util, peak in rows:
                if mode == "fp32":
                    fp32[label] = sec
                speed = f"{fp32[label] / sec:.2f}x" if label in fp32 else "-"
                vs_ref = f"{rows[0][1] / rows[1][1]:.3f}" if len(rows) > 1 and label == spec else ""
                print(f"| {label} | {mode} | {sec:.4g} | {args.batch / sec:.1f} | "
                      f"{'-' if util is None else f'{util:.0f}'} | {'-' if peak is None else f'{peak:.2f}'} | "
                      f"{speed} | {vs_ref} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
