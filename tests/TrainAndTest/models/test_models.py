"""Every registered model: shapes, backward, variable length, frequency weights, errors,
and the parameter counts of the published configurations."""

from __future__ import annotations

import pickle

import pytest
import torch

from TrainAndTest.models import MODELS, SpeakerModel

ECAPA_TINY = {"channels": 16, "mfa_channels": 24, "scale": 4, "se_channels": 4,
              "attention_channels": 4}
# tiny widths keep the whole file fast; 24-dim input except for the MFCC LSTMs
TINY = {
    "xvector_tdnn": {"channels": 16, "stats_channels": 24},
    "etdnn": {"channels": 16, "stats_channels": 24},
    "ftdnn": {"channels": 16, "bottleneck": 4, "time_strides": (1, 3, 0),
              "stats_channels": 24},
    "dtdnn": {"init_channels": 8, "growth": 4, "bottleneck": 8, "block_layers": (2, 2)},
    "aretdnn": {"channels": 16, "width": 8, "cardinality": 4, "block_dilations": (2, 3),
                "stats_channels": 24},
    "ecapa_tdnn": ECAPA_TINY,
    "ecapa_tdnn_c512": ECAPA_TINY,
    "ecapa_tdnn_c1024": ECAPA_TINY,
    "resnet10": {"width": 4},
    "resnet18": {"width": 4},
    "resnet34": {"width": 2},
    "resnet50": {"width": 2},
    "resnet101": {"width": 1},
    "rescnn": {"widths": (4, 8), "blocks_per_stage": 1},
    "lstm": {"feat_dim": 40, "hidden": 16, "proj": 8, "layers": 2},
    "attention_lstm": {"feat_dim": 40, "hidden": 16, "proj": 8, "layers": 1,
                       "pooling_conf": {"attention_dim": 4}},
    "tdy_resnet34_x0.25": {"width": 2, "basis": 2},
    "tdy_resnet34_x0.5": {"width": 2, "basis": 2},
    "tdy_vgg_m": {"width": 0.05, "fc_channels": 16, "basis": 2},
    "ecapa2": {"local_channels": 4, "local_stages": (1, 1), **ECAPA_TINY},
}
EMBED = 8
NAMES = MODELS.names()


def build(name: str, **extra) -> SpeakerModel:
    conf = {"feat_dim": 24, "embed_dim": EMBED, **TINY[name], **extra}
    return MODELS.build(name, **conf)


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_every_model_has_a_tiny_config():
    assert sorted(TINY) == NAMES


def test_unknown_name_lists_valid_names():
    with pytest.raises(KeyError) as err:
        MODELS.build("ecapa_tdnn_c2048")
    assert "valid names: aretdnn, attention_lstm, dtdnn, ecapa2, ecapa_tdnn, " in str(err.value)
    assert "xvector_tdnn" in str(err.value)


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {name: build(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_forward_shapes_and_named_outputs(models, name):
    model = models[name]
    assert model.embed_dim == EMBED
    x = torch.randn(2, 120, model.feat_dim)
    out = model.forward_features(x)
    assert out["embedding"].shape == (2, EMBED)
    frames = out["frame_features"]
    assert frames.dim() == 3 and frames.shape[0] == 2
    assert out["pool"].shape == (2, model.pooling.out_dim if model.pooling else frames.shape[1])
    if "attention" in out:
        assert out["attention"].shape[0] == 2
        assert out["attention"].shape[-1] == frames.shape[-1]
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model.embed(x))


@pytest.mark.parametrize("name", NAMES)
def test_backward_reaches_every_parameter(models, name):
    model = models[name].train()
    model.zero_grad()
    x = torch.randn(2, 64, model.feat_dim, requires_grad=True)
    emb = model(x)
    (emb * torch.randn_like(emb)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"{name}: no gradient for {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_variable_length(models, name):
    model = models[name].eval()
    with torch.no_grad():
        for frames in (model.min_frames + 50, 137, 200):
            assert model(torch.randn(2, frames, model.feat_dim)).shape == (2, EMBED)
        # one utterance alone gives the same embedding as inside a batch (eval mode)
        x = torch.randn(2, 91, model.feat_dim)
        assert torch.allclose(model(x)[1:], model(x[1:]), atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_freq_weights_hook(models, name):
    # train mode: batch-norm statistics come from the batch, so the output responds to the
    # input even for a tiny untrained network whose eval-mode output is nearly constant
    # (batch 4: with 2, a final batch norm outputs only the sign of the difference)
    model = models[name].train()
    x = torch.randn(4, 80, model.feat_dim)
    with torch.no_grad():
        plain = model(x)
        model.set_freq_weights(torch.ones(model.feat_dim))
        assert torch.allclose(model(x), plain, atol=1e-6)
        weights = torch.linspace(0.0, 2.0, model.feat_dim)
        model.set_freq_weights(weights)
        weighted = model(x)
        assert not torch.allclose(weighted, plain, atol=1e-4)
        # the hook is exactly "multiply the input"
        model.set_freq_weights(None)
        assert torch.allclose(model(x * weights), weighted, atol=1e-5)


def test_freq_weights_errors_and_checkpoint_round_trip():
    model = build("xvector_tdnn").eval()
    with pytest.raises(ValueError, match=r"freq_weights must have shape \[24\]"):
        model.set_freq_weights(torch.ones(23))
    with pytest.raises(ValueError, match="finite"):
        model.set_freq_weights([float("nan")] * 24)
    weights = torch.rand(24)
    model.set_freq_weights(weights)
    fresh = build("xvector_tdnn").eval()
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh.freq_weights, weights)
    x = torch.randn(1, 40, 24)
    with torch.no_grad():
        assert torch.equal(fresh(x), model(x))
    built = build("xvector_tdnn", freq_weights=weights.tolist())
    assert torch.allclose(built.freq_weights, weights)


def test_input_shape_errors_name_the_expected_layout():
    model = build("ecapa_tdnn_c512")
    with pytest.raises(ValueError, match=r"expected input \[batch, frames, 24\], got \[2, 24\]"):
        model(torch.randn(2, 24))
    with pytest.raises(ValueError, match=r"got \[2, 24, 50\]"):
        model(torch.randn(2, 24, 50))
    xvector = build("xvector_tdnn")
    with pytest.raises(ValueError, match="needs at least 15 frames, got 10"):
        xvector(torch.randn(2, 10, 24))


def test_presets_keep_defaults_and_accept_overrides():
    preset = MODELS.get("ecapa_tdnn_c1024")
    assert preset.preset_defaults == {"channels": 1024}
    assert preset.__name__ == "EcapaTdnnC1024"
    small = MODELS.build("ecapa_tdnn_c1024", feat_dim=24, embed_dim=8, **ECAPA_TINY)
    assert small.input_layer.conv.out_channels == 16
    # presets pickle (the class is a module-level name)
    clone = pickle.loads(pickle.dumps(small))
    assert type(clone).__name__ == "EcapaTdnnC1024"


def test_lstm_last_frame_pooling_and_attention_lstm():
    model = build("lstm").eval()
    out = model.forward_features(torch.randn(2, 30, 40))
    assert torch.equal(out["pool"], out["frame_features"][:, :, -1])
    assert "attention" not in out
    att = build("attention_lstm").forward_features(torch.randn(2, 30, 40))["attention"]
    assert att.shape == (2, 1, 30)


def test_ecapa2_returns_intermediate_pooled_statistics():
    model = build("ecapa2").eval()
    x = torch.randn(2, 50, 24)
    with torch.no_grad():
        out = model.forward_features(x)
        # local part: 4 channels x 24 bins halved twice = 24 frame channels -> mean+std 48
        local = model.local_blocks(model.stem(x.transpose(1, 2).unsqueeze(1))).flatten(1, 2)
    assert local.shape == (2, 24, 50)
    floored_std = local.var(-1, unbiased=False).clamp(min=1e-5).sqrt()  # the model's floor
    expected = torch.cat([local.mean(-1), floored_std], dim=1)
    assert torch.allclose(out["stats_local"], expected, atol=1e-5)
    for i in (1, 2, 3):
        assert out[f"stats_block{i}"].shape == (2, 32)
    assert out["frame_features"].shape == (2, 24, 50)


def test_resnet_width_names():
    from TrainAndTest.models.resnet import resolve_width

    assert [resolve_width(w) for w in ("full", "half", "thin", "quarter")] == [64, 32, 32, 16]
    with pytest.raises(ValueError, match="valid names: full, half, quarter, thin"):
        resolve_width("wide")
    with pytest.raises(ValueError, match="depth 20"):
        MODELS.build("resnet34", depth=20)


# published parameter counts (without classification head), +-3%
PUBLISHED = [
    ("ecapa_tdnn_c512", {"feat_dim": 80, "embed_dim": 192}, 6.2e6),
    ("ecapa_tdnn_c1024", {"feat_dim": 80, "embed_dim": 192}, 14.7e6),
    ("resnet34", {"feat_dim": 80, "embed_dim": 256, "width": 32}, 6.6e6),
]


@pytest.mark.parametrize("name,conf,count", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_published_parameter_counts(name, conf, count):
    model = MODELS.build(name, **conf)
    assert abs(n_params(model) - count) / count < 0.03, n_params(model)


@pytest.mark.parametrize("feat_dim", [30, 80])
def test_xvector_parameter_count(feat_dim):
    count = n_params(MODELS.build("xvector_tdnn", feat_dim=feat_dim, embed_dim=512))
    assert 4.2e6 * 0.97 <= count <= 4.6e6 * 1.03, count


@pytest.mark.parametrize("pooling", ["stats", "sap", "asp", "mhasp", "ghostvlad", "netvlad"])
def test_any_pooling_plugs_into_a_model(pooling):
    conf = {"mhasp": {"heads": 2}, "ghostvlad": {"clusters": 2}, "netvlad": {"clusters": 2}}
    model = build("xvector_tdnn", pooling=pooling, pooling_conf=conf.get(pooling))
    out = model.forward_features(torch.randn(2, 40, 24))
    assert out["pool"].shape == (2, model.pooling.out_dim)
    assert out["embedding"].shape == (2, EMBED)
