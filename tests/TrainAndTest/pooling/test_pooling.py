"""Every registered pooling: shapes, backward, known answers, errors."""

from __future__ import annotations

import pytest
import torch

from TrainAndTest.pooling import POOLING, weighted_mean_std

TINY = {
    "stats": {},
    "sap": {"attention_dim": 4},
    "asp": {"attention_dim": 4},
    "mhasp": {"heads": 2, "attention_dim": 4},
    "ghostvlad": {"clusters": 3, "ghost_clusters": 2},
    "netvlad": {"clusters": 3},
}
OUT_DIM = {"stats": 16, "sap": 8, "asp": 16, "mhasp": 16, "ghostvlad": 24, "netvlad": 24}


def test_every_pooling_has_a_tiny_config():
    assert sorted(TINY) == POOLING.names()


@pytest.mark.parametrize("name", POOLING.names())
def test_shapes_and_backward(name):
    torch.manual_seed(0)
    pool = POOLING.build(name, in_dim=8, **TINY[name])
    x = torch.randn(2, 8, 37, requires_grad=True)
    out, att = pool(x, return_attention=True)
    assert out.shape == (2, OUT_DIM[name]) == (2, pool.out_dim)
    if att is not None:
        assert att.shape[0] == 2 and att.shape[-1] == 37
        # attention / assignments are distributions
        sum_dim = 1 if name in ("ghostvlad", "netvlad") else -1
        assert torch.allclose(att.sum(dim=sum_dim), torch.ones(1), atol=1e-5)
    (out * torch.randn_like(out)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for pname, p in pool.named_parameters():
        assert p.grad is not None, pname


@pytest.mark.parametrize("name", POOLING.names())
def test_wrong_channel_count_is_an_error(name):
    pool = POOLING.build(name, in_dim=8, **TINY[name])
    with pytest.raises(ValueError, match=r"expected input \[batch, 8, frames\]"):
        pool(torch.randn(2, 6, 10))


def test_unknown_name_lists_valid_names():
    with pytest.raises(KeyError, match="valid names: asp, ghostvlad, mhasp, netvlad, sap, stats"):
        POOLING.build("xvlad", in_dim=4)


def test_statistics_pooling_known_answer():
    x = torch.tensor([[[1.0, 2.0, 3.0, 6.0], [0.0, 0.0, 0.0, 0.0]]])
    out = POOLING.build("stats", in_dim=2)(x)
    # population std of 1,2,3,6 is sqrt(3.5); the constant channel hits the variance floor
    expected = torch.tensor([[3.0, 0.0, 3.5**0.5, 1e-5**0.5]])
    assert torch.allclose(out, expected, atol=1e-6)


def _zero_scores(pool):
    """Zero the last scoring layer: constant scores, so attention is uniform over frames."""
    last = pool.score if hasattr(pool, "score") else pool.scorer[-1]
    for p in last.parameters():
        torch.nn.init.zeros_(p)


@pytest.mark.parametrize("name", ["asp", "mhasp"])
def test_uniform_attention_gives_plain_statistics(name):
    torch.manual_seed(1)
    pool = POOLING.build(name, in_dim=8, **TINY[name]).eval()
    _zero_scores(pool)
    x = torch.randn(3, 8, 21)
    # mhasp's heads are contiguous channel groups, so the layout matches stats pooling
    assert torch.allclose(pool(x), POOLING.build("stats", in_dim=8)(x), atol=1e-5)


def test_self_attentive_uniform_attention_is_the_mean():
    pool = POOLING.build("sap", in_dim=4, attention_dim=3)
    torch.nn.init.zeros_(pool.score.weight)
    x = torch.randn(2, 4, 11)
    assert torch.allclose(pool(x), x.mean(dim=-1), atol=1e-6)


def test_netvlad_single_cluster_is_normalised_residual_sum():
    pool = POOLING.build("netvlad", in_dim=4, clusters=1)
    x = torch.randn(2, 4, 9)
    expected = x.sum(-1) - 9 * pool.centroids.detach()
    expected = expected / expected.norm(dim=-1, keepdim=True)
    assert torch.allclose(pool(x), expected, atol=1e-5)


def test_ghostvlad_output_is_unit_norm_and_ghosts_are_dropped():
    pool = POOLING.build("ghostvlad", in_dim=4, clusters=2, ghost_clusters=3)
    out, att = pool(torch.randn(2, 4, 9), return_attention=True)
    assert out.shape == (2, 8) and att.shape == (2, 5, 9)
    assert torch.allclose(out.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_weighted_mean_std_matches_numpy_weights():
    x = torch.tensor([[[1.0, 2.0, 4.0]]])
    w = torch.tensor([[[0.5, 0.25, 0.25]]])
    mean, std = weighted_mean_std(x, w)
    assert torch.allclose(mean, torch.tensor([[2.0]]))
    # E[(x-2)^2] = 0.5*1 + 0.25*0 + 0.25*4 = 1.5
    assert torch.allclose(std, torch.tensor([[1.5**0.5]]))


def test_mhasp_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="not divisible by heads 3"):
        POOLING.build("mhasp", in_dim=8, heads=3)
