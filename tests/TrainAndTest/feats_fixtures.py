"""Features data dirs for trainer, extraction and analysis tests (no audio)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import kaldiio
import numpy as np

from Process_Data.data_dir import utt2spk_to_spk2utt, write_kv


def save_feats_dir(path: Path, mats: Dict[str, np.ndarray], utt2spk: Dict[str, str],
                   num_frames: bool = False) -> None:
    """Write ``mats`` as feats.ark/scp with utt2spk and spk2utt (and utt2num_frames)."""
    with kaldiio.WriteHelper(f"ark,scp:{path}/feats.ark,{path}/feats.scp") as w:
        for utt in sorted(mats):
            w(utt, mats[utt])
    write_kv(path / "utt2spk", utt2spk)
    write_kv(path / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    if num_frames:
        write_kv(path / "utt2num_frames", {u: str(len(m)) for u, m in mats.items()})


def clustered_feats_dir(path: Path, n_spk: int, n_utt: int, dim: int, seed: int,
                        frames: Tuple[int, int], num_frames: bool = False):
    """A data dir whose speakers are clusters: a per-speaker mean frame plus unit noise,
    ``frames`` = [low, high) frames per utterance. Returns the matrices by utterance."""
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True)
    utt2spk, mats = {}, {}
    for s in range(n_spk):
        mean = rng.normal(0, 1.5, dim)
        for u in range(n_utt):
            utt = f"spk{s}-utt{u}"
            n = int(rng.integers(*frames))
            mats[utt] = (mean + rng.normal(0, 1, (n, dim))).astype(np.float32)
            utt2spk[utt] = f"spk{s}"
    save_feats_dir(path, mats, utt2spk, num_frames)
    return mats
