"""CPU inference speed of every model: single-thread real-time factor on 10 s of input.

For ECAPA-TDNN C=512 and C=1024 the same configuration of SpeechBrain's ``ECAPA_TDNN``
class (PyPI ``speechbrain``) is timed in the same run, interleaved with ours, and the
ratio ours/SpeechBrain is printed (below 1: ours is faster). SpeechBrain is only a
benchmark reference, never a dependency: when it cannot be imported its rows are skipped
with a message. (It imports ``torchaudio`` at import time; a stand-in package with an
empty ``__init__.py`` on PYTHONPATH is enough for the ECAPA class.)

Usage:
    python bench/models.py [--seconds 10] [--repeats 5] [--models ecapa_tdnn_c512,resnet34]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.sb_reference import speechbrain_ecapa  # noqa: E402
from TrainAndTest.models import MODELS  # noqa: E402

FRAMES_PER_SECOND = 100


def time_once(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_group(
    models: Dict[str, torch.nn.Module], x: torch.Tensor, repeats: int
) -> Dict[str, float]:
    """Median seconds per forward of each model on ``x``; runs are interleaved so that
    load from other processes hits every model alike."""
    calls = {}
    for label, model in models.items():
        model.eval()
        calls[label] = (lambda m=model: m(x))
    times: Dict[str, List[float]] = {label: [] for label in models}
    with torch.inference_mode():
        for call in calls.values():
            call()  # warm-up
        for _ in range(repeats):
            for label, call in calls.items():
                times[label].append(time_once(call))
    return {label: statistics.median(t) for label, t in times.items()}


def n_params(model: torch.nn.Module) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in model.parameters())


def main(argv=None) -> int:
    """Print the RTF table; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="input duration")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per model")
    parser.add_argument("--models", default="", help="comma-separated subset (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    names = [n for n in args.models.split(",") if n] or MODELS.names()
    frames = int(round(args.seconds * FRAMES_PER_SECOND))
    print(f"# torch {torch.__version__}, 1 thread, input {args.seconds:g} s = {frames} frames, "
          f"median of {args.repeats}")
    print(f"{'model':<34} {'params(M)':>9} {'s/utt':>8} {'RTF':>8} {'ours/ref':>9}")
    for name in names:
        model = MODELS.build(name)
        x = torch.randn(1, frames, model.feat_dim)
        group = {name: model}
        reference = None
        if name in ("ecapa_tdnn_c512", "ecapa_tdnn_c1024"):
            reference = speechbrain_ecapa(model.input_layer.conv.out_channels)
            if reference is not None:
                group[f"speechbrain ECAPA_TDNN C={name.rsplit('c', 1)[1]}"] = reference
        seconds = bench_group(group, x, args.repeats)
        for label, mod in group.items():
            ratio = ""
            if reference is not None:
                ref_label = [k for k in group if k != name][0]
                ratio = f"{seconds[name] / seconds[ref_label]:.3f}" if label == name else "1.000"
            print(f"{label:<34} {n_params(mod) / 1e6:>9.3f} {seconds[label]:>8.4f} "
                  f"{seconds[label] / args.seconds:>8.5f} {ratio:>9}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
