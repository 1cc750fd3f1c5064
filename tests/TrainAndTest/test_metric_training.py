"""Each metric-learning loss trains a tiny model end to end on speaker-balanced batches of a
real data source (on-the-fly chunks of a feats.scp), to an EER on unseen speakers far below
both chance and the untrained model's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from Process_Data.features.frontend import Frontend
from tests.TrainAndTest.feats_fixtures import save_feats_dir
from TrainAndTest.components import build_model
from TrainAndTest.config import resolve_config
from TrainAndTest.embeddings import embed_utterance
from TrainAndTest.metrics.error_rates import compute_eer
from TrainAndTest.trainer import load_final_model, train

LOSSES = {  # loss_conf (and learning rate) per loss
    "ge2e": {},
    # batch-hard mining collapses to one point on this tiny set (and batch 48); all triplets learn
    "triplet": {"mining": "all", "margin": 0.2},
    "contrastive": {},
    "prototypical": {},
    "angular_prototypical": {},
    "softmax_angular_prototypical": {},
}


def speakers_dir(path, n_spk, n_utt, seed, dim=16):
    """Speaker s is in the dynamics: per-dimension AR(1) coefficients a_s in (-0.9, 0.9);
    every utterance adds a strong random offset (a "channel") that the mean would follow,
    so an untrained network, which mostly passes the mean on, does badly."""
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True)
    utt2spk, mats = {}, {}
    for s in range(n_spk):
        coef = rng.uniform(-0.9, 0.9, dim)
        for u in range(n_utt):
            utt = f"spk{seed}x{s:03d}-utt{u}"
            n = int(rng.integers(80, 120))
            x = np.zeros((n, dim))
            noise = rng.normal(0, 1, (n, dim))
            for t in range(1, n):
                x[t] = coef * x[t - 1] + noise[t]
            mats[utt] = (x + rng.normal(0, 1.0, dim)).astype(np.float32)
            utt2spk[utt] = f"spk{seed}x{s:03d}"
    save_feats_dir(path, mats, utt2spk)
    return mats


def eer_of(model, mats):
    utts = sorted(mats)
    emb = {u: embed_utterance(model, mats[u]) for u in utts}
    emb = {u: v / np.linalg.norm(v) for u, v in emb.items()}
    scores, labels = [], []
    for i, a in enumerate(utts):
        for b in utts[i + 1:]:
            scores.append(float(emb[a] @ emb[b]))
            labels.append(int(a.split("-")[0] == b.split("-")[0]))
    return 100 * compute_eer(np.array(scores), np.array(labels))[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("metric")
    speakers_dir(root / "train", n_spk=64, n_utt=4, seed=1)
    test = speakers_dir(root / "test", n_spk=8, n_utt=4, seed=2)
    return root, test


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_metric_loss_trains_on_balanced_batches(loss, corpus, tmp_path):
    root, test = corpus
    cmn = Frontend("", cmn="utterance")  # the offsets are a channel: CMN removes them
    test = {u: cmn.from_feats(m) for u, m in test.items()}
    cfg = resolve_config({
        "model": "xvector_tdnn",
        "model_conf": {"embed_dim": 16, "channels": 32, "stats_channels": 64},
        "loss": loss,
        "loss_conf": {k: v for k, v in LOSSES[loss].items() if k not in ("lr", "batch_size")},
        "optimizer": "adam", "optimizer_conf": {"lr": LOSSES[loss].get("lr", 0.01)},
        "data": "onthefly",
        "data_conf": {"data_dir": str(root / "train"), "batch_size": LOSSES[loss].get("batch_size", 24), "num_workers": 0,
                      "min_frames": 40, "max_frames": 60, "num_repeats": 3,
                      "batch_utts_per_speaker": 3},
        "frontend": {"feature": "", "cmn": "utterance"},
        "train_conf": {"epochs": 6, "seed": 3, "keep_last": 1, "average_last": 1},
    })
    torch.manual_seed(3)  # the trainer's seed: the same initial weights
    untrained = eer_of(build_model(cfg, 16).eval(), test)
    final = train(cfg, tmp_path / "exp")
    trained = eer_of(load_final_model(final), test)
    print(f"{loss}: EER untrained {untrained:.1f}%, trained {trained:.1f}%")
    assert trained < 25.0 and trained < 0.6 * untrained  # chance is 50%


def test_metric_loss_without_balanced_batches_is_refused(corpus, tmp_path):
    root, _ = corpus
    cfg = resolve_config({
        "model": "xvector_tdnn",
        "model_conf": {"embed_dim": 8, "channels": 16, "stats_channels": 16},
        "loss": "ge2e", "data": "onthefly",
        "data_conf": {"data_dir": str(root / "train"), "batch_size": 8, "num_workers": 0},
        "frontend": {"feature": "", "cmn": "none"}, "train_conf": {"epochs": 1}})
    with pytest.raises(ValueError, match="loss 'ge2e' needs speaker-balanced batches: set "
                                         "data_conf.batch_utts_per_speaker"):
        train(cfg, tmp_path / "exp")


@pytest.mark.parametrize("loss,loss_conf,valid_keys", [
    ("softmax_angular_prototypical",
     {"classifier": "aam_softmax", "classifier_conf": {"margin": 0.2, "scale": 30}},
     {"loss", "accuracy"}),
    ("ge2e", {}, set()),
])
def test_metric_loss_on_egs_with_a_one_eg_per_speaker_valid_set(loss, loss_conf, valid_keys,
                                                                 tmp_path):
    """The egs' valid set has one eg per speaker, never a speaker-balanced batch: the combined
    loss is validated through its classification head, a pure metric loss skips validation
    (the minivox run with the AAM + angular prototypical config died at the end of its first
    epoch on it)."""
    from Process_Data.egs.make_egs import EgsOptions, make_egs
    from tests.TrainAndTest.feats_fixtures import clustered_feats_dir

    data = tmp_path / "data"
    clustered_feats_dir(data, 8, 6, 20, 0, frames=(120, 200), num_frames=True)
    egs = tmp_path / "egs"
    make_egs(data, egs, EgsOptions(min_len=50, min_frames=50, max_frames=80, num_valid_utts=4,
                                   num_diagnostic_egs=4, use_vad=False, cmn_window=50))
    valid_labels = [line.split()[1] for line in (egs / "valid_egs.labels").read_text().splitlines()]
    assert len(valid_labels) == len(set(valid_labels)) == 4  # one eg per speaker
    cfg = resolve_config({
        "model": "xvector_tdnn", "model_conf": {"embed_dim": 8, "channels": 16, "stats_channels": 16},
        "loss": loss, "loss_conf": loss_conf, "data": "egs",
        "data_conf": {"egs_dir": str(egs), "batch_size": 8, "num_workers": 0,
                      "batch_utts_per_speaker": 2},
        "train_conf": {"epochs": 2}})
    train(cfg, tmp_path / "exp")
    history = torch.load(tmp_path / "exp" / "checkpoints" / "epoch_2.pt",
                         weights_only=False)["history"]
    assert [set(h["valid"]) for h in history] == [valid_keys] * 2
    if valid_keys:
        assert all(0.0 <= h["valid"]["accuracy"] <= 1.0 and h["valid"]["loss"] > 0 for h in history)
