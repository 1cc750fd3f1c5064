"""Feature-extraction throughput: ours against kaldi-native-fbank, single-threaded.

Both sides process the same 10 minutes of 16 kHz audio (a seeded mix of tones, chirps and
noise; the content does not change the cost) with the same Kaldi options (dither 0,
25/10 ms povey frames, snip edges). Each figure is the best of ``--repeats`` runs, in
times real time (x RT = audio seconds / compute seconds), and the ratio ours / reference
is printed for every feature type. kaldi-native-fbank has no spectrogram, so the
spectrogram row uses its fbank (same framing and FFT, plus a mel matmul) as the reference.
With a CUDA device the batched torch path is timed too (all utterances in one batch).

Usage:
    python bench/features.py [--minutes 10] [--repeats 3] [--bins 80]

The reference comes with the bench extra (``utils/setup_venv.sh --with-bench``, or
``pip install 'kaldi-native-fbank>=1.19'``); without it the bench says so and exits 2
before measuring anything.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time

import numpy as np
import torch

from Process_Data.features import FEATURES, parse_options
from Process_Data.features.torch_batch import compute_batch

SR = 16000
#: What installs the reference, printed when it is missing.
INSTALL_HINT = ("utils/setup_venv.sh --with-bench (the bench extra of pyproject.toml), or "
                "pip install 'kaldi-native-fbank>=1.19'")


def check_reference() -> bool:
    """True when kaldi-native-fbank imports; else print what to install and return False."""
    try:
        found = importlib.util.find_spec("kaldi_native_fbank") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        print(f"bench/features.py: the reference kaldi-native-fbank is not installed; "
              f"install it with {INSTALL_HINT}", file=sys.stderr)
    return found


def make_audio(minutes: float, seed: int = 0) -> np.ndarray:
    """Seeded synthetic speech-band audio in [-1, 1]."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * SR)
    t = np.arange(n) / SR
    x = 0.2 * np.sin(2 * np.pi * (200 + 50 * np.sin(0.5 * t)) * t)
    x += 0.1 * np.sin(2 * np.pi * (300 + 3000 * (t % 1.0)) * t)
    x += 0.02 * rng.standard_normal(n)
    return np.clip(x, -1, 1).astype(np.float32)


def best_of(fn, repeats: int) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn``."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def knf_runner(kind: str, wave: np.ndarray, bins: int):
    """A function computing kaldi-native-fbank features of ``wave``.

    knf computes every frame inside ``accept_waveform``; fetching the frames into Python
    (one call per frame) would add about as much again, so it is left out: the reference
    is knf's compute time alone, the strictest comparison for us.
    """
    import kaldi_native_fbank as knf

    if kind == "mfcc":
        opts = knf.MfccOptions()
        opts.mel_opts.num_bins = 23
        cls = knf.OnlineMfcc
    else:
        opts = knf.FbankOptions()
        opts.mel_opts.num_bins = bins
        cls = knf.OnlineFbank
    opts.frame_opts.dither = 0.0
    scaled = wave * 32768.0

    def run():
        f = cls(opts)
        f.accept_waveform(SR, scaled)
        f.input_finished()
        return f.num_frames_ready

    return run


def main(argv=None) -> int:
    """Run the benchmark and print one table; returns the exit code (2: no reference)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bins", type=int, default=80, help="mel bins of the fbank rows")
    args = ap.parse_args(argv)
    if not check_reference():
        return 2
    torch.set_num_threads(1)
    wave = make_audio(args.minutes)
    seconds = len(wave) / SR
    print(f"audio: {seconds:.0f} s at {SR} Hz; torch {torch.__version__}, 1 thread")
    print(f"{'feature':<14}{'ours xRT':>10}{'knf xRT':>10}{'ratio':>8}  reference")
    rows = [("fbank", [f"--num-mel-bins={args.bins}"], "fbank", "knf fbank"),
            ("mfcc", [], "mfcc", "knf mfcc"),
            ("spectrogram", [], "fbank", "knf fbank (no knf spectrogram)")]
    for kind, extra, ref_kind, ref_name in rows:
        comp = FEATURES.build(kind, opts=parse_options(kind, ["--dither=0"] + extra))
        ours = best_of(lambda comp=comp: comp.compute(wave), args.repeats)
        ref = best_of(knf_runner(ref_kind, wave, args.bins), args.repeats)
        print(f"{kind:<14}{seconds / ours:>10.0f}{seconds / ref:>10.0f}{ref / ours:>8.2f}  "
              f"{ref_name}")
    if torch.cuda.is_available():
        comp = FEATURES.build("fbank", opts=parse_options(
            "fbank", ["--dither=0", f"--num-mel-bins={args.bins}"]))
        utts = [torch.from_numpy(u).cuda() for u in np.array_split(wave, 200)]

        def gpu():
            compute_batch(comp, utts, device="cuda")
            torch.cuda.synchronize()

        gpu()
        t = best_of(gpu, args.repeats)
        cpu = best_of(lambda: comp.compute(wave), 1)
        print(f"GPU batched fbank ({torch.cuda.get_device_name()}, 200 utterances): "
              f"{seconds / t:.0f} x RT; {cpu / t:.1f}x our single-thread CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
