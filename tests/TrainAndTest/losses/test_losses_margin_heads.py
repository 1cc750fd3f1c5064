"""Classification heads against direct formulas on embeddings at known angles."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from TrainAndTest.losses import LOSSES
from TrainAndTest.losses.a_softmax import sphereface_psi

C, D = 3, 4


def at_angles(thetas, labels, norm: float = 1.0) -> torch.Tensor:
    """Embeddings at angle ``theta_i`` from class ``labels[i]``'s weight and 90 degrees from
    the others, for heads whose weight rows are the unit vectors ``e_0 .. e_{C-1}``."""
    x = torch.zeros(len(thetas), D)
    for i, (theta, y) in enumerate(zip(thetas, labels)):
        x[i, y] = math.cos(theta)
        x[i, D - 1] = math.sin(theta)
    return x * norm


def unit_head(name: str, **conf):
    head = LOSSES.build(name, embed_dim=D, num_classes=C, **conf)
    with torch.no_grad():
        head.weight.copy_(torch.eye(C, D) * 2.5)  # any norm: weights are normalised
    return head


THETAS = [0.1, 0.7, 1.4, 2.5]
LABELS = torch.tensor([0, 1, 2, 0])


def test_aam_margin0_scale1_is_cross_entropy_on_cosines():
    torch.manual_seed(0)
    head = LOSSES.build("aam_softmax", embed_dim=D, num_classes=C, margin=0.0, scale=1.0)
    x, y = torch.randn(6, D), torch.tensor([0, 1, 2, 2, 1, 0])
    cos = F.normalize(x, dim=1) @ F.normalize(head.weight, dim=1).t()
    out = head(x, y)
    torch.testing.assert_close(out.logits, cos)
    torch.testing.assert_close(out.loss, F.cross_entropy(cos, y))


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_aam_margin_lowers_only_the_target_logit(scale):
    m = 0.3
    x = at_angles(THETAS, LABELS)
    plain = unit_head("aam_softmax", margin=0.0, scale=scale)(x, LABELS).logits
    out = unit_head("aam_softmax", margin=m, scale=scale)(x, LABELS)
    want = plain.clone()
    for i, (theta, y) in enumerate(zip(THETAS, LABELS.tolist())):
        assert plain[i, y].item() == pytest.approx(scale * math.cos(theta), abs=1e-5)
        want[i, y] = scale * math.cos(theta + m)
    torch.testing.assert_close(out.logits, want)
    torch.testing.assert_close(out.loss, F.cross_entropy(want, LABELS))


def test_aam_beyond_pi_minus_m_uses_cos_minus_m_sin_m():
    m, theta = 0.3, 3.0  # theta + m > pi
    x = at_angles([theta], [1])
    logits = unit_head("aam_softmax", margin=m, scale=1.0)(x, torch.tensor([1])).logits
    assert logits[0, 1].item() == pytest.approx(math.cos(theta) - m * math.sin(m), abs=1e-5)


def test_aam_easy_margin_only_where_cosine_positive():
    m = 0.4
    thetas, labels = [1.0, 2.0, 2.9], torch.tensor([0, 1, 2])
    x = at_angles(thetas, labels)
    logits = unit_head("aam_softmax", margin=m, scale=1.0, easy_margin=True)(x, labels).logits
    assert logits[0, 0].item() == pytest.approx(math.cos(1.0 + m), abs=1e-5)
    assert logits[1, 1].item() == pytest.approx(math.cos(2.0), abs=1e-5)  # cos < 0: no margin
    assert logits[2, 2].item() == pytest.approx(math.cos(2.9), abs=1e-5)
    hard = unit_head("aam_softmax", margin=m, scale=1.0)(x, labels).logits
    assert hard[1, 1].item() == pytest.approx(math.cos(2.0 + m), abs=1e-5)


def test_aam_accuracy_ignores_the_margin():
    # Sample 0 is 0.5 rad from its class and 0.6 rad from another: right without margin,
    # wrong on the margin logits; accuracy counts it right.
    x = torch.tensor([[math.cos(0.5), math.cos(0.6), 0.0, 0.0]])
    head = unit_head("aam_softmax", margin=0.4, scale=1.0)
    out = head(x, torch.tensor([0]))
    assert out.logits.argmax(1).item() == 1
    assert out.accuracy.item() == 1.0


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_am_margin_subtracts_m_from_the_target_cosine(scale):
    m = 0.35
    x = at_angles(THETAS, LABELS, norm=3.0)
    plain = unit_head("am_softmax", margin=0.0, scale=scale)(x, LABELS).logits
    out = unit_head("am_softmax", margin=m, scale=scale)(x, LABELS)
    want = plain.clone()
    for i, (theta, y) in enumerate(zip(THETAS, LABELS.tolist())):
        want[i, y] = scale * (math.cos(theta) - m)
    torch.testing.assert_close(out.logits, want)
    torch.testing.assert_close(out.loss, F.cross_entropy(want, LABELS))


def test_softmax_is_affine_cross_entropy():
    torch.manual_seed(0)
    head = LOSSES.build("softmax", embed_dim=D, num_classes=C)
    x, y = torch.randn(5, D), torch.tensor([0, 2, 1, 1, 0])
    want = x @ head.fc.weight.t() + head.fc.bias
    out = head(x, y)
    torch.testing.assert_close(out.logits, want)
    torch.testing.assert_close(out.loss, F.cross_entropy(want, y))
    torch.testing.assert_close(out.accuracy, (want.argmax(1) == y).float().mean())


def test_sphereface_psi_known_values_and_monotone():
    m = 4.0
    got = sphereface_psi(torch.tensor([math.cos(0.3), math.cos(1.0), math.cos(2.0)]), m)
    want = torch.tensor([math.cos(1.2), -math.cos(4.0) - 2.0, math.cos(8.0) - 4.0])
    torch.testing.assert_close(got, want)
    thetas = torch.linspace(0.01, math.pi - 0.01, 400)
    psi = sphereface_psi(torch.cos(thetas), m)
    assert (psi[1:] < psi[:-1]).all()


def test_a_softmax_target_logit_without_annealing():
    norm = 3.0
    x = at_angles([0.3, 1.0, 2.0], [0, 1, 2], norm=norm)
    y = torch.tensor([0, 1, 2])
    head = unit_head("a_softmax", margin=4, lambda_base=0.0, lambda_min=0.0)
    logits = head(x, y).logits
    want = torch.zeros(3, C)  # non-target cosines are 0 by construction
    for i, theta in enumerate([0.3, 1.0, 2.0]):
        want[i, i] = norm * sphereface_psi(torch.tensor(math.cos(theta)), 4.0)
    torch.testing.assert_close(logits, want)


def test_a_softmax_lambda_anneals_and_blends():
    head = unit_head("a_softmax", margin=4)  # lambda_base 1000, gamma 0.12, min 5
    x, y = at_angles([1.0], [1], norm=2.0), torch.tensor([1])
    assert head.current_lambda == 1000.0
    for _ in range(10):
        head(x, y)
    lam = 1000.0 / (1.0 + 0.12 * 10)
    assert head.current_lambda == pytest.approx(lam)
    head.eval()
    logit = head(x, y).logits[0, 1].item()
    psi = -math.cos(4.0) - 2.0
    assert logit == pytest.approx(2.0 * (lam * math.cos(1.0) + psi) / (1 + lam), rel=1e-5)
    assert int(head.step) == 10  # eval mode does not advance the schedule
    head.train()
    for _ in range(10000):
        head.step += 1
    assert head.current_lambda == 5.0
    with pytest.raises(ValueError, match="margin must be >= 1"):
        head.set_margin(0.5)


def test_sub_center_takes_the_best_sub_center():
    head = LOSSES.build(
        "sub_center_aam", embed_dim=D, num_classes=C, sub_centers=2, margin=0.2, scale=1.0
    )
    with torch.no_grad():
        head.weight.zero_()
        for c in range(C):
            head.weight[2 * c, c] = 1.0  # sub-center 0 of class c: e_c
            head.weight[2 * c + 1, D - 1] = 1.0  # sub-center 1 of every class: e_last
            head.weight[2 * c + 1, c] = 0.01 * (c + 1)
    # x is 1.4 rad from e_0, so class 0's second sub-center (near e_last) is the closer one.
    x = at_angles([1.4], [0])
    cos = head.class_cosines(x)
    wn = F.normalize(head.weight, dim=1)
    xn = F.normalize(x, dim=1)
    want = torch.stack([(xn @ wn[2 * c : 2 * c + 2].t()).max() for c in range(C)])
    torch.testing.assert_close(cos[0], want)
    assert want[0].item() == pytest.approx((xn @ wn[1]).item()) and want[0] > math.cos(1.4)
    out = head(x, torch.tensor([0]))
    theta = math.acos(want[0].item())
    assert out.logits[0, 0].item() == pytest.approx(math.cos(theta + 0.2), abs=1e-5)
    torch.testing.assert_close(out.logits[0, 1:], want[1:])


def test_sub_center_with_one_center_is_aam():
    torch.manual_seed(0)
    sub = LOSSES.build("sub_center_aam", embed_dim=D, num_classes=C, sub_centers=1)
    aam = LOSSES.build("aam_softmax", embed_dim=D, num_classes=C)
    aam.load_state_dict(sub.state_dict())
    x, y = torch.randn(4, D), torch.tensor([0, 1, 2, 0])
    torch.testing.assert_close(sub(x, y).loss, aam(x, y).loss)
