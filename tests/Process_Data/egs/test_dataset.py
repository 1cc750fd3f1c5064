"""EgsDataset (streaming, sharding, determinism) and the on-the-fly loader."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from Process_Data.augment.chain import Chain
from Process_Data.data_dir import utt2spk_to_spk2utt, write_kv
from Process_Data.egs import EgsDataset, EgsOptions, OnTheFlyDataset, make_egs, make_loader
from Process_Data.features.frontend import Frontend

OPTS = dict(min_len=20, min_frames=10, max_frames=20, num_repeats=3, num_archives=4,
            num_valid_utts=1, num_diagnostic_egs=4, seed=5)


@pytest.fixture
def egs_dir(feats_dir, tmp_path):
    make_egs(feats_dir, tmp_path / "egs", EgsOptions(**OPTS))
    return tmp_path / "egs"


def _ids(batches):
    """(speaker, utt, first frame time, length) of every eg: unique per uncropped chunk."""
    out = []
    for feats, labels in batches:
        assert feats.dtype == torch.float32 and labels.dtype == torch.int64
        assert feats.ndim == 3 and feats.shape[2] == 5
        assert torch.equal(feats[:, 0, 0].long(), labels)
        out += [tuple(int(v) for v in row) + (feats.shape[1],) for row in feats[:, 0, :3]]
    return out


def test_shards_are_disjoint_equal_and_deterministic(egs_dir):
    total = int((egs_dir / "info" / "num_egs").read_text())
    per_rank = []
    for rank in (0, 1):
        ds = EgsDataset(egs_dir, batch_size=1, seed=0, rank=rank, world_size=2, shuffle_buffer=8)
        got = _ids(ds)
        assert len(got) == ds.num_batches()
        per_rank.append(got)
    assert len(per_rank[0]) == len(per_rank[1])  # same step count on every rank
    assert not set(per_rank[0]) & set(per_rank[1])
    assert len(per_rank[0]) * 2 >= total - 2 * 20  # equalising drops less than one archive
    ds = EgsDataset(egs_dir, batch_size=1, seed=0, rank=0, world_size=2, shuffle_buffer=8)
    assert _ids(ds) == per_rank[0]
    ds.set_epoch(1)
    assert _ids(ds) != per_rank[0]


def test_loader_workers_batches_and_full_coverage(egs_dir):
    ds = EgsDataset(egs_dir, batch_size=3, seed=1, shuffle_buffer=0)
    one = _ids(ds)
    assert len(one) == 3 * ds.num_batches()
    loader = make_loader(ds, num_workers=2)
    batches = list(loader)
    assert len(batches) == ds.num_batches(num_workers=2)
    assert len(_ids(batches)) == 3 * len(batches)
    for feats, _ in batches:
        assert 10 <= feats.shape[1] <= 20
    valid = list(EgsDataset(egs_dir, batch_size=8, subset="valid"))
    assert sum(len(lab) for _, lab in valid) == int((egs_dir / "info" / "num_valid_egs").read_text())


def test_onthefly_feats(feats_dir):
    ds = OnTheFlyDataset(feats_dir, batch_size=4, seed=0, source="feats", min_frames=8,
                         max_frames=12, num_repeats=2, frontend=Frontend("", vad=True))
    batches = list(ds)
    assert len(batches) == ds.num_batches() == 6 and ds.feat_dim == 5 and ds.num_classes == 4
    _ids(batches)
    again = list(OnTheFlyDataset(feats_dir, batch_size=4, seed=0, source="feats", min_frames=8,
                                 max_frames=12, num_repeats=2, frontend=Frontend("", vad=True)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again))


def test_onthefly_wav_with_online_augmentation(tmp_path):
    d = tmp_path / "wavdata"
    d.mkdir()
    wav, u2s = {}, {}
    rng = np.random.default_rng(0)
    for s in range(3):
        for j in range(2):
            p = tmp_path / f"s{s}-{j}.flac"
            t = np.arange(int(16000 * rng.uniform(0.3, 0.6))) / 16000
            sf.write(p, (0.3 * np.sin(2 * np.pi * (200 + 100 * s) * t)).astype(np.float32), 16000)
            wav[f"spk{s}-u{j}"], u2s[f"spk{s}-u{j}"] = str(p), f"spk{s}"
    write_kv(d / "wav.scp", wav)
    write_kv(d / "utt2spk", u2s)
    write_kv(d / "spk2utt", utt2spk_to_spk2utt(u2s))
    noise = tmp_path / "noise.wav"
    sf.write(noise, rng.uniform(-0.1, 0.1, 4000).astype(np.float32), 16000)
    chain = Chain.from_config({"stages": [
        {"name": "speed_perturb", "args": {"factors": [0.9, 1.0, 1.1], "as_new_speakers": True}},
        {"name": "add_noise", "prob": 0.5, "args": {"noises": [str(noise)], "mode": "background", "snrs": [5, 15]}},
        {"name": "spec_augment", "prob": 0.5},
    ]})
    ds = OnTheFlyDataset(d, batch_size=2, seed=0, source="wav", min_frames=20, max_frames=30,
                         num_repeats=2, chain=chain)
    assert ds.feat_dim == 80 and ds.num_classes == 9
    batches = list(make_loader(ds, num_workers=0))
    assert len(batches) == 6
    for feats, labels in batches:
        assert feats.shape[0] == 2 and 20 <= feats.shape[1] <= 30 and feats.shape[2] == 80
        assert torch.isfinite(feats).all() and labels.max() < 9
