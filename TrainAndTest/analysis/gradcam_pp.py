"""Grad-CAM++ (Chattopadhay et al., 2018) on a named frame-level layer.

For the exponential of the target score the higher derivatives are powers of the first
one, ``g = d S / d A``, so the pixel weights are closed-form:
``alpha = g^2 / (2 g^2 + sum_(f,t) A * g^3)``, the channel weights
``w_c = sum_(f,t) alpha * relu(g)``, and the map is ``relu(sum_c w_c A_c)``.
"""

from __future__ import annotations

import torch

from TrainAndTest.analysis.base import ATTRIBUTIONS, to_input_grid
from TrainAndTest.analysis.gradcam import LayerMethod
from TrainAndTest.analysis.layers import as_grid, capture_outputs


def layer_activation_and_gradient(method: LayerMethod, x: torch.Tensor):
    """(activation, gradient of the target) of ``method``'s layer for ``x [1, T, F]``, both
    ``[C, F', T']``."""
    with torch.enable_grad(), capture_outputs({"layer": method.module}) as out:
        score = method.target(x).sum()
        act = out["layer"]
        grad, = torch.autograd.grad(score, act)
    return as_grid(act.detach())[0], as_grid(grad)[0]


@ATTRIBUTIONS.register("gradcam_pp")
class GradCamPlusPlus(LayerMethod):
    """Grad-CAM++ on ``layer`` (see the module docstring).

    Example:
        >>> import torch
        >>> from TrainAndTest.analysis.targets import demo_target
        >>> t = demo_target()
        >>> bool((GradCamPlusPlus(t).attribute(torch.randn(30, 8)) >= 0).all())
        True
    """

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        act, grad = layer_activation_and_gradient(self, x)
        g2 = grad.pow(2)
        denom = 2 * g2 + (act * grad.pow(3)).sum(dim=(1, 2), keepdim=True)
        alpha = torch.where(denom != 0, g2 / denom.where(denom != 0, torch.ones_like(denom)),
                            torch.zeros_like(g2))
        weights = (alpha * grad.clamp(min=0)).sum(dim=(1, 2), keepdim=True)
        cam = (weights * act).sum(dim=0).clamp(min=0)
        return to_input_grid(cam, x.shape[1], x.shape[2])
