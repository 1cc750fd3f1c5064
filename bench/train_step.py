"""Training-step time of a model under fp32 eager (the reference), bf16 autocast, and bf16
autocast + torch.compile (the embedding network compiled in place, as the trainer does).

One step = forward, AAM-softmax loss, backward, Adam update on a batch of random features.
Prints seconds per step (median of the timed steps) and the speed-up over fp32 eager of the
same model in the same process.

Usage:
    python bench/train_step.py [--models "ecapa_tdnn:channels=256;embed_dim=192,xvector_tdnn"] [--batch 128]
        [--frames 150] [--threads 2] [--steps 4]

On a CPU the bf16 rows need AVX512-BF16 or AMX to pay off; on a GPU pass --device cuda.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from TrainAndTest.losses import LOSSES
from TrainAndTest.models import MODELS


def parse_model(text: str):
    """``name:key=value,key=value`` -> (name, kwargs); values are ints when they parse."""
    name, _, rest = text.partition(":")
    conf = {}
    for item in filter(None, rest.split(";")):
        k, v = item.split("=")
        conf[k] = int(v) if v.lstrip("-").isdigit() else v
    return name, conf


def time_steps(name, conf, mode, args) -> float:
    torch.manual_seed(0)
    model = MODELS.build(name, feat_dim=args.feat_dim, **conf).to(args.device)
    loss = LOSSES.build("aam_softmax", embed_dim=model.embed_dim, num_classes=args.classes,
                        margin=0.2, scale=30).to(args.device)  # fmt: skip
    opt = torch.optim.Adam(list(model.parameters()) + list(loss.parameters()), 1e-3)
    if mode == "bf16+compile":
        model.compile()
    x = torch.randn(args.batch, args.frames, args.feat_dim, device=args.device)
    y = torch.randint(0, args.classes, (args.batch,), device=args.device)
    times = []
    for step in range(args.warmup + args.steps):
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=mode != "fp32"):
            emb = model(x)
        out = loss(emb.float(), y)
        (out.loss if hasattr(out, "loss") else out).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        if step >= args.warmup:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--models",
        default="ecapa_tdnn:channels=256;embed_dim=192,xvector_tdnn:channels=512;stats_channels=1500;embed_dim=256",
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
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.device}, {args.threads} threads, batch {args.batch} "
          f"x {args.frames} frames x {args.feat_dim}")  # fmt: skip
    print("| model | mode | s/step | speed-up vs fp32 eager |")
    print("|---|---|---:|---:|")
    for spec in args.models.split(","):
        name, conf = parse_model(spec)
        ref = None
        for mode in args.modes.split(","):
            sec = time_steps(name, conf, mode, args)
            ref = sec if ref is None and mode == "fp32" else ref
            ratio = f"{ref / sec:.2f}x" if ref else "-"
            print(f"| {spec} | {mode} | {sec:.3f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
