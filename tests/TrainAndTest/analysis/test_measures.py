"""Perturbation curves, attention statistics, embedding-space checks, frequency weights:
known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from TrainAndTest.analysis.attention_maps import (
    attention_report,
    channel_similarity,
    energy_vad,
    frame_log_energy,
    vad_correlation,
)
from TrainAndTest.analysis.embedding_space import (
    inclusion_bias,
    random_cosines,
    softmax_loss_lower_bound,
)
from TrainAndTest.analysis.frequency_attention import bin_centres, bin_weights, mel_weights
from TrainAndTest.analysis.perturbation import area, perturbation_curves
from TrainAndTest.analysis.targets import Target


class BandSum(Target):
    """Target = sum of the input over bins 2..3 (known answer for curves)."""

    def __init__(self):
        super().__init__(torch.nn.Identity())

    def forward(self, x):
        return x[..., 2:4].sum(dim=(1, 2))


def test_deletion_of_the_true_map_falls_at_once_random_falls_linearly():
    x = torch.ones(10, 8)
    truth = torch.zeros(10, 8)
    truth[:, 2:4] = 1.0
    fractions = np.linspace(0, 1, 11)
    good = perturbation_curves(BandSum(), x, truth, torch.zeros_like(x), fractions)
    rand = perturbation_curves(BandSum(), x, truth, torch.zeros_like(x), fractions, "random")
    # 20 of 80 bins matter: the true order removes them by fraction 0.25
    assert good["deletion"][3] == pytest.approx(0.0) and good["deletion"][2] > 0
    assert good["insertion"][3] == pytest.approx(1.0)
    assert area(fractions, good["deletion"]) < 0.15
    assert area(fractions, rand["deletion"]) == pytest.approx(0.5, abs=0.1)
    assert good["full"] == 20.0 and good["empty"] == 0.0


def test_frame_energy_and_vad():
    fb = np.log(np.array([[1.0, 1.0], [10.0, 30.0]]))
    np.testing.assert_allclose(frame_log_energy(fb, "fbank"), np.log([2.0, 40.0]), rtol=1e-6)
    np.testing.assert_allclose(frame_log_energy(np.array([[3.0, 9.0]]), "mfcc"), [3.0])
    assert energy_vad(np.array([0.0, 20.0, 20.0, 0.0])).tolist() == [0, 1, 1, 0]
    assert vad_correlation(np.array([0.0, 1.0, 1.0, 0.0]), np.array([0, 1, 1, 0])) == 1.0
    assert math.isnan(vad_correlation(np.ones(4), np.array([0, 1, 1, 0])))
    assert channel_similarity(np.ones((3, 5))) == pytest.approx(1.0)


def test_attention_report_of_an_ecapa():
    from TrainAndTest.models import MODELS

    torch.manual_seed(0)
    m = MODELS.build("ecapa_tdnn", feat_dim=8, embed_dim=4, channels=8, mfa_channels=12,
                     scale=4, se_channels=4, attention_channels=4).eval()
    raw = np.random.default_rng(0).normal(scale=0.2, size=(40, 8)).astype(np.float32)
    raw[10:30] += 6.0  # loud middle: about 8 above the quiet frames' log energy
    rep = attention_report(m, raw - raw.mean(0), raw, "fbank")
    assert rep["per_channel"].shape == (12, 40) and rep["mean"].shape == (40,)
    np.testing.assert_allclose(rep["per_channel"].sum(axis=1), 1.0, rtol=1e-5)
    assert rep["vad"][10:30].all() and not rep["vad"][:5].any()
    assert -1.0 <= rep["vad_correlation"] <= 1.0


def test_loss_lower_bound_is_reached_by_a_simplex():
    """Embeddings on their prototypes, prototypes a regular simplex: the AAM loss equals the
    bound; the bound falls with the scale and rises with the margin and the classes."""
    from TrainAndTest.losses import LOSSES

    head = LOSSES.build("aam_softmax", embed_dim=2, num_classes=3, margin=0.2, scale=2.0)
    angles = torch.tensor([0.0, 2 * math.pi / 3, 4 * math.pi / 3])
    simplex = torch.stack([angles.cos(), angles.sin()], dim=1)
    with torch.no_grad():
        head.weight.copy_(simplex)
    loss = float(head(simplex, torch.arange(3)).loss.detach())
    assert loss == pytest.approx(softmax_loss_lower_bound(2.0, 3, 0.2), rel=1e-4)
    assert softmax_loss_lower_bound(30, 100) < softmax_loss_lower_bound(10, 100)
    assert softmax_loss_lower_bound(30, 100, 0.2) > softmax_loss_lower_bound(30, 100)
    assert softmax_loss_lower_bound(10, 1000) > softmax_loss_lower_bound(10, 100)


def test_random_cosines_and_inclusion_bias():
    c = random_cosines(200, 64)
    assert abs(c.mean()) < 0.01 and c.std() == pytest.approx(1 / 8, rel=0.1)
    rng = np.random.default_rng(0)
    emb = {f"s{s}-{u}": rng.normal(size=16) + 3 * np.eye(16)[s] for s in range(3)
           for u in range(4)}
    spk2utt = {f"s{s}": [f"s{s}-{u}" for u in range(4)] for s in range(3)}
    bias = inclusion_bias(emb, spk2utt)
    assert len(bias["included"]) == 12 and (bias["included"] > bias["excluded"]).all()


def test_frequency_weights_and_mel_weights():
    w = bin_weights([np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])])
    np.testing.assert_allclose(w, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="all zero"):
        bin_weights([np.zeros(3)])
    from Process_Data.features.frontend import Frontend

    fe = Frontend("fbank", ("--num-mel-bins=40", "--low-freq=20", "--high-freq=0"))
    centres = bin_centres(fe)
    assert centres.shape == (40,) and 20 < centres[0] < centres[-1] < 8000
    assert np.all(np.diff(centres) > 0) and np.all(np.diff(np.diff(centres)) > 0)  # mel
    mel = mel_weights(centres)
    assert mel.mean() == pytest.approx(1.0) and np.all(np.diff(mel) < 0)
    with pytest.raises(ValueError, match="no frequency axis"):
        bin_centres(Frontend("mfcc", ("--num-ceps=13",)))
