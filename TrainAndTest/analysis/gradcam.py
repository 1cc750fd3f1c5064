"""Grad-CAM (Selvaraju et al., 2017) on a named frame-level layer (captum's LayerGradCam).

Channel weights are the time(-frequency) mean of the target's gradient at the layer; the
map is ``relu(sum_c w_c A_c)`` on the layer's grid, resized onto the input (1-D layers
have one frequency row, so their map is the same for every bin).
"""

from __future__ import annotations

from typing import Optional

import torch
from captum.attr import LayerGradCam

from TrainAndTest.analysis.base import ATTRIBUTIONS, Attribution, to_input_grid
from TrainAndTest.analysis.layers import as_grid, default_layer, find_layer


class LayerMethod(Attribution):
    """An attribution on one frame-level layer (``layer``: module path, default the last
    frame-level layer before the pooling)."""

    uses_layer = True

    def __init__(self, target, layer: Optional[str] = None):
        super().__init__(target, layer)
        self.layer = layer or default_layer(self.model)
        self.module = find_layer(self.model, self.layer)


@ATTRIBUTIONS.register("gradcam")
class GradCam(LayerMethod):
    """Grad-CAM on ``layer``.

    Example:
        >>> import torch
        >>> from TrainAndTest.analysis.targets import demo_target
        >>> GradCam(demo_target()).attribute(torch.randn(30, 8)).shape
        torch.Size([30, 8])
    """

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        cam = LayerGradCam(self.target, self.module).attribute(x, relu_attributions=True)
        cam = as_grid(cam)[0].sum(dim=0)  # one channel: [F', T']
        return to_input_grid(cam, x.shape[1], x.shape[2])
