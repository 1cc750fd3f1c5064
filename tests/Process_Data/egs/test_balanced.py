"""Speaker-balanced batches: N x M per batch, distinct utterances, sharding, resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from egs_data import make_feats_dir

from Process_Data.egs import EgsOptions, make_egs
from Process_Data.egs.balanced import (
    BalancedEgsDataset,
    BalanceError,
    balanced_batches,
    shard,
    utt_of_key,
)


def _items(num_spk=10, utts=(1, 2, 3, 5), per_utt=3, seed=0):
    """labels, utts: speaker s has utts[s % len(utts)] utterances of per_utt items each."""
    labels, utt = [], []
    for s in range(num_spk):
        for u in range(utts[s % len(utts)]):
            for _ in range(per_utt):
                labels.append(s)
                utt.append(f"s{s}-u{u}")
    order = np.random.default_rng(seed).permutation(len(labels))
    return [labels[i] for i in order], [utt[i] for i in order]


def test_every_batch_is_n_speakers_by_m_distinct_utterances():
    labels, utts = _items()
    M = 3
    batches = balanced_batches(labels, utts, per_batch=12, per_speaker=M, seed=1, epoch=0)
    assert len(batches) >= 4
    n_utts = {s: len({u for lab, u in zip(labels, utts) if lab == s}) for s in set(labels)}
    for b in batches:
        assert len(b) == 12 and len(set(b)) == 12  # every speaker has >= M items: no repeat
        groups = [b[k:k + M] for k in range(0, 12, M)]
        spks = [labels[g[0]] for g in groups]
        assert len(set(spks)) == 4  # N distinct speakers
        for g in groups:
            assert len({labels[i] for i in g}) == 1  # speaker-major
            distinct = len({utts[i] for i in g})
            assert distinct == min(M, n_utts[labels[g[0]]])  # different utterances if any


def test_same_seed_and_epoch_same_plan_other_epoch_other_plan():
    labels, utts = _items()
    a = balanced_batches(labels, utts, 8, 2, seed=3, epoch=5)
    assert a == balanced_batches(labels, utts, 8, 2, seed=3, epoch=5)
    assert a != balanced_batches(labels, utts, 8, 2, seed=3, epoch=6)


def test_shards_are_disjoint_and_equal_in_size():
    labels, utts = _items(num_spk=20)
    plan = balanced_batches(labels, utts, 8, 2, seed=0, epoch=0)
    G = 3  # e.g. 3 ranks x 1 worker, or 1 rank x 3 workers
    shards = [shard(plan, g, G) for g in range(G)]
    assert len({len(s) for s in shards}) == 1 and len(shards[0]) == len(plan) // G
    seen = [tuple(b) for s in shards for b in s]
    assert len(seen) == len(set(seen))  # no batch twice
    used = [i for b in seen for i in b]
    assert set(used) <= set(range(len(labels)))


def test_bad_settings_name_the_option():
    labels, utts = _items(num_spk=2)
    with pytest.raises(BalanceError, match="utts_per_speaker=3 must be >= 1 and divide"):
        balanced_batches(labels, utts, 8, 3)
    with pytest.raises(BalanceError, match="needs 4 speakers; the data has 2"):
        balanced_batches(labels, utts, 8, 2)


def test_utt_of_key():
    assert utt_of_key("id10001-1zcIwhmdeo4-00001-120-200") == "id10001-1zcIwhmdeo4-00001"
    assert utt_of_key("plain") == "plain"


@pytest.mark.parametrize("fmt", ["ark", "h5"])
def test_balanced_egs_dataset_batches_sharding_and_resume(tmp_path, fmt):
    data = make_feats_dir(tmp_path, num_spk=6, utts_per_spk=4, dim=5, min_len=40, max_len=60)
    egs = tmp_path / "egs"
    make_egs(data, egs, EgsOptions(min_len=20, min_frames=10, max_frames=20, num_repeats=3,
                                   num_archives=2, num_valid_utts=0, num_diagnostic_egs=2,
                                   use_vad=False, format=fmt, seed=1))
    per_rank, M = 6, 2
    ranks = [BalancedEgsDataset(egs, per_rank, seed=4, rank=r, world_size=2,
                                utts_per_speaker=M) for r in range(2)]
    seen = []
    for ds in ranks:
        ds.set_epoch(1)
        batches = list(ds)
        assert len(batches) == ds.num_batches() > 0
        for feats, labels in batches:
            assert feats.shape[0] == per_rank and feats.shape[2] == 5
            for k in range(0, per_rank, M):
                # the fixture's frames carry [speaker, utterance index, ...]
                assert len(set(labels[k:k + M].tolist())) == 1
                assert len(set(feats[k:k + M, 0, 1].tolist())) == M  # distinct utterances
            assert len(set(labels[::M].tolist())) == per_rank // M
            seen.append(feats[:, 0, :3].numpy().tobytes())
    assert len(seen) == len(set(seen))  # the two ranks' batches are disjoint
    # a new object for the same epoch (a resumed run) gives the same batches
    again = BalancedEgsDataset(egs, per_rank, seed=4, rank=1, world_size=2, utts_per_speaker=M)
    again.set_epoch(1)
    ranks[1].set_epoch(1)
    for (a, la), (b, lb) in zip(ranks[1], again):
        assert torch.equal(a, b) and torch.equal(la, lb)


def test_onthefly_balanced_batches(tmp_path):
    from Process_Data.egs import OnTheFlyDataset
    from Process_Data.features.frontend import Frontend

    data = make_feats_dir(tmp_path, num_spk=6, utts_per_spk=4, dim=5)
    ds = OnTheFlyDataset(data, batch_size=6, seed=0, source="feats", min_frames=8,
                         max_frames=12, num_repeats=2, frontend=Frontend(""),
                         batch_utts_per_speaker=3)
    batches = list(ds)
    assert len(batches) == ds.num_batches() > 0
    for feats, labels in batches:
        for k in (0, 3):
            assert len(set(labels[k:k + 3].tolist())) == 1
            assert len(set(feats[k:k + 3, 0, 1].tolist())) == 3
        assert labels[0] != labels[3]
