"""TDY-ResNet (Kim et al., 2021): a ResNet whose 3x3 convolutions are temporal dynamic
convolutions (:class:`TdyConv2d`, K basis kernels mixed by time-dependent attention).

Presets follow the paper's widths relative to the ImageNet ResNet-34 (64 channels):
``tdy_resnet34_x0.25`` (16) and ``tdy_resnet34_x0.5`` (32).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

from TrainAndTest.models.base import register_preset
from TrainAndTest.models.resnet import ResNet
from TrainAndTest.models.tdy_conv2d import TdyConv2d


class TdyResNet(ResNet):
    """ResNet with temporal dynamic 3x3 convolutions.

    Args:
        feat_dim: input features.
        embed_dim: embedding size.
        depth: ResNet depth (10, 18, 34, 50, 101).
        width: first-stage channels, int or a name of ``resnet.WIDTHS``.
        basis: basis kernels per TDY convolution.
        pooling: POOLING registry name.
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    Example:
        >>> import torch
        >>> m = TdyResNet(feat_dim=16, embed_dim=8, depth=10, width=4, basis=2)
        >>> m(torch.randn(2, 40, 16)).shape
        torch.Size([2, 8])
    """

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 256,
        depth: int = 34,
        width: Union[int, str] = 32,
        basis: int = 4,
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        self.basis = basis
        super().__init__(feat_dim, embed_dim, depth, width, pooling, pooling_conf, freq_weights)

    def conv_factory(self, in_dim: int, out_dim: int, kernel_size: int, stride: int = 1):
        """TDY convolution for 3x3 kernels, plain convolution otherwise."""
        if kernel_size == 1:
            return super().conv_factory(in_dim, out_dim, kernel_size, stride)
        return TdyConv2d(in_dim, out_dim, kernel_size, stride, basis=self.basis)


TdyResNet34X025 = register_preset(
    "tdy_resnet34_x0.25", TdyResNet, "TdyResNet34X025", "TDY-ResNet-34 (x0.25)", width=16
)
TdyResNet34X05 = register_preset(
    "tdy_resnet34_x0.5", TdyResNet, "TdyResNet34X05", "TDY-ResNet-34 (x0.5)", width=32
)
