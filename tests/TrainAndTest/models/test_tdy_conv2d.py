"""Temporal dynamic convolution: known answers against plain convolution."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from TrainAndTest.models.tdy_conv2d import TdyConv2d


def test_single_basis_is_a_plain_convolution():
    torch.manual_seed(0)
    conv = TdyConv2d(3, 5, 3, stride=2, basis=1)
    x = torch.randn(2, 3, 9, 11)
    expected = F.conv2d(x, conv.weight[0], stride=2, padding=1)
    assert torch.allclose(conv(x), expected, atol=1e-5)


def test_output_is_the_attention_weighted_mix_of_basis_outputs():
    torch.manual_seed(1)
    conv = TdyConv2d(2, 4, 3, stride=1, basis=3).eval()
    x = torch.randn(2, 2, 6, 7)
    y, att = conv(x, return_attention=True)
    assert att.shape == (2, 3, 7)
    assert torch.allclose(att.sum(dim=1), torch.ones(2, 7), atol=1e-6)
    per_basis = torch.stack([F.conv2d(x, conv.weight[k], padding=1) for k in range(3)], 1)
    expected = (per_basis * att[:, :, None, None, :]).sum(1)
    assert torch.allclose(y, expected, atol=1e-5)
    # the mixture varies over time (the point of TDY)
    assert att.std(dim=-1).max() > 0


def test_equal_basis_kernels_make_attention_irrelevant():
    torch.manual_seed(2)
    conv = TdyConv2d(2, 3, 3, basis=4)
    with torch.no_grad():
        conv.weight.copy_(conv.weight[:1].expand_as(conv.weight))
    x = torch.randn(1, 2, 5, 8)
    assert torch.allclose(conv(x), F.conv2d(x, conv.weight[0], padding=1), atol=1e-5)
