"""Test data builders shared by the egs tests and tests/shell/test_make_egs.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_feats_dir(root: Path, num_spk: int = 4, utts_per_spk: int = 3, dim: int = 5,
                   min_len: int = 30, max_len: int = 80, seed: int = 0, test_spk: int = 0) -> Path:
    """Write a data dir whose frame t of utterance u is [label, utt index, t, noise...]."""
    import kaldiio

    from Process_Data.data_dir import utt2spk_to_spk2utt, write_kv

    rng = np.random.default_rng(seed)
    d = root / "data"
    d.mkdir(parents=True, exist_ok=True)
    utt2spk, n_frames = {}, {}
    with kaldiio.WriteHelper(f"ark,scp:{d}/feats.ark,{d}/feats.scp") as fw, \
            kaldiio.WriteHelper(f"ark,scp:{d}/vad.ark,{d}/vad.scp") as vw:
        for s in range(num_spk):
            spk = f"spk{s:02d}"
            for j in range(utts_per_spk):
                utt = f"{spk}-u{j}"
                n = int(rng.integers(min_len, max_len + 1))
                m = rng.standard_normal((n, dim)).astype(np.float32)
                m[:, 0], m[:, 1], m[:, 2] = s, j, np.arange(n)
                vad = np.ones(n, dtype=np.float32)
                vad[: n // 10] = 0  # leading silence
                fw(utt, m)
                vw(utt, vad)
                utt2spk[utt], n_frames[utt] = spk, n
    write_kv(d / "utt2spk", utt2spk)
    write_kv(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    write_kv(d / "utt2num_frames", {u: str(n) for u, n in n_frames.items()})
    # feats.scp from WriteHelper is in write order, which is already C order here
    return d
