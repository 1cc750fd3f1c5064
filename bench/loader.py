"""Data-loading throughput per worker process: chunks/s of 2 s (200-frame) 80-dim fbank chunks.

(a) egs streaming (``EgsDataset`` over ark archives), (b) random-access chunking of
``feats.scp`` (``OnTheFlyDataset(source="feats")``, the reference), (c) on-the-fly from wav
with online augmentation (reverb p=0.5, noise/music p=0.6, SpecAugment p=0.5) and fbank
(``OnTheFlyDataset(source="wav")``). Every figure is one process (num_workers=0), batch 32,
printed with its ratio to (b). Data is generated in a temp dir (16 kHz audio, 6 s each).

Run: ``.venv/bin/python bench/loader.py [--utts 64] [--batches 20]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def build(root: Path, n_utts: int, seconds: float = 6.0) -> Path:
    """A data dir with wav.scp, feats.scp (80-dim fbank) and noise/RIR files."""
    import kaldiio

    from Process_Data.data_dir import utt2spk_to_spk2utt, write_kv
    from Process_Data.features import FEATURES, parse_options

    rng = np.random.default_rng(0)
    d = root / "data"
    d.mkdir(parents=True)
    comp = FEATURES.build("fbank", opts=parse_options("fbank", ["--num-mel-bins=80", "--dither=0"]))
    wav, u2s = {}, {}
    t = np.arange(int(16000 * seconds)) / 16000
    with kaldiio.WriteHelper(f"ark,scp:{d}/feats.ark,{d}/feats.scp") as w:
        for i in sorted(range(n_utts), key=lambda k: (k % 16, k)):  # C order of the ids
            spk = f"spk{i % 16:02d}"
            utt = f"{spk}-{i:04d}"
            x = (0.2 * np.sin(2 * np.pi * (100 + 7 * i) * t * (1 + 0.1 * np.sin(t)))
                 + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
            p = root / f"{utt}.flac"
            sf.write(p, x, 16000)
            wav[utt], u2s[utt] = str(p), spk
            w(utt, comp.compute(x, 16000))
    write_kv(d / "wav.scp", wav)
    write_kv(d / "utt2spk", u2s)
    write_kv(d / "spk2utt", utt2spk_to_spk2utt(u2s))
    sf.write(root / "noise.wav", (0.1 * rng.standard_normal(16000 * 5)).astype(np.float32), 16000)
    rir = np.exp(-np.arange(8000) / 800.0) * rng.standard_normal(8000)
    rir[200] = 3.0
    sf.write(root / "rir.wav", rir.astype(np.float32) / 3, 16000, subtype="FLOAT")
    (root / "rir_list").write_text(f"--rir-id r --room-id room {root / 'rir.wav'}\n")
    return d


def rate(ds, batches: int) -> float:
    """Chunks per second over ``batches`` batches (after one warm-up batch)."""
    it = iter(ds)
    next(it)
    n, t0 = 0, time.perf_counter()
    for _ in range(batches):
        feats, _ = next(it)
        n += feats.shape[0]
    return n / (time.perf_counter() - t0)


def main() -> None:
    """Build data, measure (a), (b), (c), print chunks/s and ratios to (b)."""
    from Process_Data.augment.chain import Chain
    from Process_Data.egs import EgsDataset, EgsOptions, OnTheFlyDataset, make_egs

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--utts", type=int, default=64)
    ap.add_argument("--batches", type=int, default=20)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(1)  # as in a DataLoader worker (PyTorch sets 1 thread there)
    root = Path(tempfile.mkdtemp(prefix="bench_loader."))
    d = build(root, a.utts)
    make_egs(d, root / "egs", EgsOptions(min_len=200, min_frames=200, max_frames=200,
                                         num_repeats=40, num_archives=2, use_vad=False,
                                         num_valid_utts=0, num_diagnostic_egs=0))
    bs = 32
    need = (a.batches + 1) * bs
    b = rate(OnTheFlyDataset(d, bs, source="feats", min_frames=200, max_frames=200,
                             num_repeats=-(-need // a.utts)), a.batches)
    ea = rate(EgsDataset(root / "egs", bs, shuffle_buffer=1000), a.batches)
    chain = Chain.from_config({"stages": [
        {"name": "reverberate", "prob": 0.5, "args": {"rir_set_parameters": f"1.0, {root / 'rir_list'}"}},
        {"name": "add_noise", "prob": 0.6,
         "args": {"noises": [str(root / "noise.wav")], "mode": "background", "snrs": [5, 15]}},
        {"name": "spec_augment", "prob": 0.5},
    ]})
    c = rate(OnTheFlyDataset(d, bs, source="wav", min_frames=200, max_frames=200, chain=chain,
                             num_repeats=-(-need // a.utts)), max(2, a.batches // 4))
    print("loader throughput, one process, 200x80 chunks, batch 32")
    print(f"(b) random-access feats.scp (reference): {b:9.1f} chunks/s  1.00x")
    print(f"(a) egs streaming (ark):                 {ea:9.1f} chunks/s  {ea / b:.2f}x")
    print(f"(c) wav + online aug + fbank:            {c:9.1f} chunks/s  {c / b:.2f}x")


if __name__ == "__main__":
    main()
