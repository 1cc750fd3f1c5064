"""Full-Grad (Srinivas & Fleuret, 2019): input-gradient map plus bias-gradient maps.

``|x * d S / d x|`` plus, for every frame-level layer with a bias (convolutions, batch norm
with its running statistics folded into the bias), ``|b * d S / d z|`` summed over channels
on the layer's grid and resized onto the input. Each map is normalised to ``[0, 1]`` first
(the paper's post-processing), so every layer counts equally.
"""

from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from TrainAndTest.analysis.base import ATTRIBUTIONS, Attribution, to_input_grid
from TrainAndTest.analysis.layers import as_grid, capture_outputs, frame_layers


def effective_bias(module: nn.Module) -> torch.Tensor:
    """The bias ``[C]`` a conv or batch-norm layer adds (batch norm: ``beta - mu g / sigma``)."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        scale = module.weight / torch.sqrt(module.running_var + module.eps)
        return (module.bias - module.running_mean * scale).detach()
    return module.bias.detach()


def _normalise(m: torch.Tensor) -> torch.Tensor:
    m = m - m.min()
    peak = m.max()
    return m / peak if peak > 0 else m


@ATTRIBUTIONS.register("fullgrad")
class FullGrad(Attribution):
    """Full-Grad over every frame-level conv / batch-norm layer with a bias.

    Example:
        >>> import torch
        >>> from TrainAndTest.analysis.targets import demo_target
        >>> FullGrad(demo_target()).attribute(torch.randn(30, 8)).shape
        torch.Size([30, 8])
    """

    def __init__(self, target):
        super().__init__(target)
        mods = dict(self.model.named_modules())
        biased = (nn.Conv1d, nn.Conv2d, nn.modules.batchnorm._BatchNorm)
        self.bias_layers: Dict[str, nn.Module] = {
            n: mods[n] for n in frame_layers(self.model)
            if isinstance(mods[n], biased) and getattr(mods[n], "bias", None) is not None
            and (not isinstance(mods[n], nn.modules.batchnorm._BatchNorm)
                 or mods[n].running_mean is not None)
        }

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        x = x.clone().requires_grad_(True)
        with torch.enable_grad(), capture_outputs(self.bias_layers) as out:
            score = self.target(x).sum()
            names = list(out)
            grads = torch.autograd.grad(score, [x] + [out[n] for n in names], allow_unused=True)
        frames, bins = x.shape[1], x.shape[2]
        total = _normalise((x * grads[0]).detach().abs()[0])
        for name, grad in zip(names, grads[1:]):
            if grad is None:
                continue
            g = as_grid(grad)[0]
            bias = effective_bias(self.bias_layers[name]).view(-1, 1, 1)
            layer_map = (g * bias).abs().sum(dim=0)
            total = total + _normalise(to_input_grid(layer_map, frames, bins))
        return total
