"""Every attribution method on a model that sees one frequency band; IG completeness."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.TrainAndTest.analysis.analysis_fixtures import BAND, BINS
from TrainAndTest.analysis import ATTRIBUTIONS, AnalysisError, band_mass, build_method
from TrainAndTest.analysis.layers import frame_layers
from TrainAndTest.analysis.loading import load_analysis_model
from TrainAndTest.analysis.targets import SpeakerTarget, VerificationTarget
from TrainAndTest.losses import LOSSES


def band_target(model, seed=0):
    torch.manual_seed(seed)
    head = LOSSES.build("aam_softmax", embed_dim=model.embed_dim, num_classes=3).eval()
    return SpeakerTarget(model, head, 1)


@pytest.mark.parametrize("name", ATTRIBUTIONS.names())
def test_every_method_puts_its_mass_in_the_only_band_the_model_sees(band_model, name):
    x = torch.randn(37, BINS, generator=torch.Generator().manual_seed(1))
    refs = [np.random.default_rng(2).normal(size=(50, BINS)).astype(np.float32)]
    method = build_method(name, band_target(band_model), steps=32, samples=16,
                          references=refs)
    sal = method.attribute(x)
    assert sal.shape == (37, BINS)
    assert sal.abs().sum() > 0
    assert band_mass(sal, *BAND) >= 0.8, f"{name}: {float(band_mass(sal, *BAND)):.3f}"


def test_band_mass_of_a_wrong_orientation_would_fail(band_model):
    """The band test can fail: a map with time and frequency swapped is not in the band."""
    sal = build_method("saliency", band_target(band_model)).attribute(torch.randn(BINS, BINS))
    assert band_mass(sal.t(), *BAND) < 0.5


def test_integrated_gradients_completeness_on_a_trained_model(trained_exp):
    am = load_analysis_model(trained_exp)
    x = torch.randn(50, 20, generator=torch.Generator().manual_seed(0)) + 0.5
    target = SpeakerTarget(am.model, am.head, 3)
    for baseline in ("zeros", "mean", "noise"):
        ig = build_method("integrated_gradients", target, baseline=baseline, steps=200)
        attr = ig.attribute(x)
        from TrainAndTest.analysis.integrated_gradients import make_baseline

        with torch.no_grad():
            diff = float(target(x[None]) - target(make_baseline(x[None], baseline)))
        assert abs(diff) > 0.1
        assert abs(float(attr.sum()) - diff) <= 0.01 * abs(diff), (baseline, attr.sum(), diff)


def test_expected_integrated_gradients_sum_estimates_the_expected_difference():
    """For a linear target the estimate is exact: sum = S(x) - mean S(reference)."""
    from TrainAndTest.analysis.targets import Target

    class Linear(Target):
        def forward(self, x):
            return (x * torch.arange(4.0)).sum(dim=(1, 2))

    refs = [np.full((6, 4), 1.0, np.float32), np.full((6, 4), -1.0, np.float32)]
    eig = build_method("expected_integrated_gradients", Linear(torch.nn.Identity()),
                       references=refs, samples=400, seed=1)
    x = torch.ones(6, 4)
    # S(x) = 36; S(ref) = +-36, mean 0 for an even draw
    assert float(eig.attribute(x).sum()) == pytest.approx(36.0, abs=36 * 0.15)


def test_unknown_method_and_layer_list_the_valid_ones(band_model):
    target = band_target(band_model)
    with pytest.raises(AnalysisError, match="valid names: attention, expected_integrated"):
        build_method("gradcamm", target)
    with pytest.raises(AnalysisError, match="valid layers: .*block2"):
        build_method("gradcam", target, layer="block9")
    with pytest.raises(AnalysisError, match="--layer goes with: gradcam, gradcam_pp"):
        build_method("saliency", target, layer="block2")
    with pytest.raises(AnalysisError, match="valid baselines: zeros, mean, noise"):
        build_method("integrated_gradients", target, baseline="ones")


def test_gradcam_on_a_named_layer_and_layer_listing(band_model):
    names = frame_layers(band_model)
    assert "block1.0" in names and "block2" in names and "pooling" not in names
    target = band_target(band_model)
    early = build_method("gradcam", target, layer="block1").attribute(torch.randn(30, BINS))
    assert band_mass(early, *BAND) >= 0.8


def test_attention_needs_attentive_pooling(trained_exp):
    am = load_analysis_model(trained_exp)
    target = VerificationTarget(am.model, torch.ones(16))
    with pytest.raises(AnalysisError, match="no attention weights; --method attention needs "
                                            "attentive pooling"):
        build_method("attention", target).attribute(torch.randn(40, 20))


@pytest.mark.parametrize("model_name", ["ecapa_tdnn", "resnet10"])
def test_methods_on_registered_models(model_name):
    """1-D (ECAPA) and 2-D (ResNet) networks: every method gives a finite input-sized map."""
    from TrainAndTest.models import MODELS

    conf = ({"channels": 8, "mfa_channels": 16, "scale": 4, "se_channels": 4,
             "attention_channels": 4} if model_name == "ecapa_tdnn"
            else {"depth": 10, "width": 4, "pooling": "asp"})
    torch.manual_seed(0)
    model = MODELS.build(model_name, feat_dim=16, embed_dim=8, **conf).eval()
    target = VerificationTarget(model, torch.randn(8))
    refs = [np.random.default_rng(0).normal(size=(40, 16)).astype(np.float32)]
    x = torch.randn(40, 16)
    for name in ATTRIBUTIONS.names():
        sal = build_method(name, target, steps=8, samples=4, references=refs).attribute(x)
        assert sal.shape == (40, 16) and torch.isfinite(sal).all(), name
