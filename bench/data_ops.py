"""Data-dir tool costs: frame counts from ark headers and durations from audio headers.

Two measurements, each against a named reference timed in the same run:

* ``utt2num_frames`` from feats.scp: ``kaldi_table.feats_num_frames`` (reads only the matrix
  header at each scp offset) vs ``kaldiio.load_mat(ref).shape[0]`` (decodes the matrix),
  on ``--utts`` compressed (CM) 80-dim matrices of 200-800 frames written with kaldiio.
* ``utt2dur`` from wav.scp: ``audio.audio_duration`` (soundfile header) vs decoding the
  file with ``Process_Data.audio.read_audio``, on the first ``--files`` FLAC files of
  ``../shared/data/minivox`` (skipped when absent).

Each figure is the best of ``--repeats`` runs; ratio = ours / reference (below 1: faster).

Usage:
    python bench/data_ops.py [--utts 2000] [--files 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import kaldiio
import numpy as np

from Process_Data.audio import audio_duration, read_audio
from Process_Data.data_dir import read_kv
from Process_Data.kaldi_table import feats_num_frames

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def best_of(fn, repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    """Run both measurements and print a table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--utts", type=int, default=2000)
    p.add_argument("--files", type=int, default=300)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        ark, scp = Path(tmp) / "f.ark", Path(tmp) / "f.scp"
        with kaldiio.WriteHelper(f"ark,scp:{ark},{scp}", compression_method=2) as w:
            for i in range(args.utts):
                w(f"u{i:06d}", rng.standard_normal((int(rng.integers(200, 800)), 80)).astype(np.float32))
        refs = read_kv(scp)
        ours = best_of(lambda: feats_num_frames(scp), args.repeats)
        ref = best_of(lambda: [kaldiio.load_mat(r).shape[0] for r in refs.values()], args.repeats)
        assert feats_num_frames(scp) == {u: kaldiio.load_mat(r).shape[0] for u, r in refs.items()}
    print(f"| frames of {args.utts} CM matrices (feats.scp) | {ours:.3f} s | kaldiio.load_mat "
          f"{ref:.3f} s | {ours / ref:.3f} |")

    if not SHARED.is_dir():
        print(f"({SHARED} absent: utt2dur part skipped)")
        return
    files = sorted((SHARED / "minivox" / "wav").rglob("*.flac"))[: args.files]
    ours = best_of(lambda: [audio_duration(str(f)) for f in files], args.repeats)
    ref = best_of(lambda: [read_audio(str(f)) for f in files], args.repeats)
    print(f"| durations of {len(files)} FLAC files (wav.scp) | {ours:.3f} s | decode "
          f"{ref:.3f} s | {ours / ref:.3f} |")


if __name__ == "__main__":
    main()
