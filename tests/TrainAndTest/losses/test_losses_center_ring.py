"""Center and ring losses against their formulas."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from TrainAndTest.losses import LOSSES

C, D = 3, 4
X = torch.tensor(
    [[1.0, 2.0, 0.0, -1.0], [0.5, -0.5, 2.0, 1.0], [-2.0, 0.0, 1.0, 0.0], [0.0, 3.0, 0.0, 4.0]]
)
Y = torch.tensor([0, 2, 2, 1])


def test_center_loss_formula_and_center_gradient():
    loss = LOSSES.build("center_loss", embed_dim=D, num_classes=C, center_weight=0.1)
    with torch.no_grad():
        loss.centers.copy_(torch.tensor([[1.0, 1.0, 0, 0], [0, 0, 0, 0], [0, 0, 1.0, 1.0]]))
    fc = loss.classifier.fc
    ce = F.cross_entropy(X @ fc.weight.t() + fc.bias, Y)
    # ||x - c_y||^2 per row: 0+1+0+1 = 2, 0.25+0.25+1+0 = 1.5, 4+0+0+1 = 5, 0+9+0+16 = 25
    center = 0.5 * (2 + 1.5 + 5 + 25) / 4
    out = loss(X, Y)
    assert out.loss.item() == pytest.approx(ce.item() + 0.1 * center, rel=1e-6)
    assert loss.center_term(X, Y).item() == pytest.approx(center)
    out.loss.backward()
    # d/dc_k = -weight / B * sum_{i: y_i = k} (x_i - c_k)
    c2 = torch.tensor([0, 0, 1.0, 1.0])
    want = -0.1 / 4 * ((X[1] - c2) + (X[2] - c2))
    torch.testing.assert_close(loss.centers.grad[2], want)
    c0 = torch.tensor([1.0, 1, 0, 0])
    torch.testing.assert_close(loss.centers.grad[0], -0.1 / 4 * (X[0] - c0))
    assert loss.centers.grad[1].abs().sum() > 0 and out.accuracy is not None


def test_ring_loss_formula_and_first_batch_radius():
    loss = LOSSES.build("ring_loss", embed_dim=D, num_classes=C, ring_weight=0.2)
    norms = X.norm(dim=1)  # sqrt(6), sqrt(5.5), sqrt(5), 5
    fc = loss.classifier.fc
    ce = F.cross_entropy(X @ fc.weight.t() + fc.bias, Y)
    out = loss(X, Y)
    radius = norms.mean().item()
    assert loss.radius.item() == pytest.approx(radius)
    ring = 0.5 * ((norms - radius) ** 2).mean().item()
    assert out.loss.item() == pytest.approx(ce.item() + 0.2 * ring, rel=1e-6)
    # The radius is initialised once: a second batch does not reset it.
    loss(X * 3, Y)
    assert loss.radius.item() == pytest.approx(radius)
    fresh = LOSSES.build("ring_loss", embed_dim=D, num_classes=C)
    fresh.load_state_dict(loss.state_dict())
    fresh(X * 3, Y)
    assert fresh.radius.item() == pytest.approx(radius)


def test_ring_loss_fixed_radius_gradient():
    loss = LOSSES.build("ring_loss", embed_dim=D, num_classes=C, ring_weight=1.0, init_radius=4.0)
    loss(X, Y).loss.backward()
    # dL/dR = -mean(||x|| - R)
    want = -(X.norm(dim=1) - 4.0).mean()
    assert loss.radius.grad.item() == pytest.approx(want.item(), rel=1e-6)


@pytest.mark.parametrize("name", ["center_loss", "ring_loss"])
def test_wrappers_reach_the_classifier_margin(name):
    loss = LOSSES.build(
        name, embed_dim=D, num_classes=C, classifier="aam_softmax",
        classifier_conf={"margin": 0.3, "scale": 20.0},
    )
    assert loss.margin == 0.3
    loss.set_margin(0.1)
    assert loss.classifier.margin == 0.1
    assert LOSSES.build(name, embed_dim=D, num_classes=C).margin is None
