"""F-TDNN: the semi-orthogonal constraint step."""

from __future__ import annotations

import torch

from TrainAndTest.models import MODELS
from TrainAndTest.models.ftdnn import semi_orthogonal_step


def orthogonality_ratio(weight: torch.Tensor) -> float:
    """tr(PP) * rows / tr(P)^2 with P = M M^T: 1 exactly for a scaled semi-orthogonal M."""
    m = weight.detach().reshape(weight.shape[0], -1).double()
    if m.shape[0] > m.shape[1]:
        m = m.T
    p = m @ m.T
    return float((p * p).sum() * p.shape[0] / torch.trace(p) ** 2)


def test_fixed_scale_converges_to_scaled_orthonormal_rows():
    torch.manual_seed(0)
    w = torch.randn(5, 3, 4) * 0.25  # [out, in, kernel] -> 5 x 12 matrix
    for _ in range(80):
        semi_orthogonal_step(w, scale=0.5)
    m = w.reshape(5, -1)
    assert torch.allclose(m @ m.T, 0.25 * torch.eye(5), atol=1e-4)


def test_tall_matrix_is_constrained_on_its_columns():
    torch.manual_seed(1)
    w = torch.randn(20, 4) * 0.2
    for _ in range(80):
        semi_orthogonal_step(w, scale=1.0)
    assert torch.allclose(w.T @ w, torch.eye(4), atol=1e-4)


def test_floating_scale_keeps_the_size_and_orthogonalises():
    torch.manual_seed(2)
    w = torch.randn(6, 30) * 3.0
    before = orthogonality_ratio(w)
    for _ in range(60):
        semi_orthogonal_step(w)
    assert before > 1.05
    assert abs(orthogonality_ratio(w) - 1.0) < 1e-6
    singular = torch.linalg.svdvals(w)
    assert torch.allclose(singular, singular.mean().expand(6), rtol=1e-4)


def test_model_constrains_every_factorised_layer():
    torch.manual_seed(3)
    model = MODELS.build("ftdnn", feat_dim=20, embed_dim=8, channels=32, bottleneck=8,
                         time_strides=(1, 3), stats_channels=16)
    before = [orthogonality_ratio(layer.factor.weight) for layer in model.factorized]
    for _ in range(40):
        model.constrain_semi_orthogonal()
    after = [orthogonality_ratio(layer.factor.weight) for layer in model.factorized]
    assert all(b > 1.01 for b in before)
    assert all(abs(a - 1.0) < 1e-4 for a in after)
