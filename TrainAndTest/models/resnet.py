"""2-D ResNets over the (frequency x time) feature map (He et al., 2016), as used for
speaker embeddings by VoxCeleb baselines and WeSpeaker.

A 3x3 stem, four stages (strides 1, 2, 2, 2 in both frequency and time) of basic blocks
(ResNet 10/18/34) or bottleneck blocks (ResNet 50/101), frequency and channels flattened
into frame features, pooling, and the embedding layer. Widths: ``width`` is the first
stage's channel count (doubled per stage) or one of the names ``full`` (64, the ImageNet
width), ``half``/``thin`` (32, the "thin ResNet" of VoxCeleb systems), ``quarter`` (16,
"fast ResNet"). ResNet34 at width 32 with 80-dim fbank and a 256-dim embedding has 6.6M
parameters.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

import torch
from torch import nn

from TrainAndTest.models.base import (
    SpeakerModel,
    build_pooling,
    pool_outputs,
    register_preset,
)
from TrainAndTest.models.layers import frames_to_image

WIDTHS = {"full": 64, "half": 32, "thin": 32, "quarter": 16}
# depth -> (block type, blocks per stage)
DEPTHS = {
    10: ("basic", (1, 1, 1, 1)),
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
}

ConvFactory = Callable[..., nn.Module]


def conv2d(in_dim: int, out_dim: int, kernel_size: int, stride: int = 1) -> nn.Module:
    """Bias-free ``kernel_size`` convolution with "same" padding (the default ConvFactory)."""
    return nn.Conv2d(
        in_dim, out_dim, kernel_size, stride=stride, padding=kernel_size // 2, bias=False
    )


def resolve_width(width: Union[int, str]) -> int:
    """Channel count of the first stage from an int or a name in ``WIDTHS``.

    Example:
        >>> resolve_width("quarter"), resolve_width(24)
        (16, 24)
    """
    if isinstance(width, str):
        if width not in WIDTHS:
            raise ValueError(f"unknown width '{width}'; valid names: {', '.join(sorted(WIDTHS))}")
        return WIDTHS[width]
    if int(width) <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return int(width)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a (projected) shortcut.

    Args:
        in_dim: input channels.
        channels: output channels.
        stride: stride of the first convolution and the shortcut.
        conv: convolution factory ``conv(in, out, kernel_size, stride)``.

    Example:
        >>> BasicBlock(4, 8, stride=2)(torch.randn(2, 4, 10, 12)).shape
        torch.Size([2, 8, 5, 6])
    """

    expansion = 1

    def __init__(self, in_dim: int, channels: int, stride: int = 1, conv: ConvFactory = conv2d):
        super().__init__()
        out_dim = channels * self.expansion
        self.body = nn.Sequential(
            conv(in_dim, channels, 3, stride),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            conv(channels, out_dim, 3, 1),
            nn.BatchNorm2d(out_dim),
        )
        self.shortcut = make_shortcut(in_dim, out_dim, stride)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, in, F, T] -> [B, out, F/stride, T/stride]."""
        return self.relu(self.body(x) + self.shortcut(x))


class BottleneckBlock(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4), batch norm, (projected) shortcut.

    Args:
        in_dim: input channels.
        channels: bottleneck channels (output is 4x).
        stride: stride of the 3x3 convolution and the shortcut.
        conv: convolution factory for the 3x3 convolution.

    Example:
        >>> BottleneckBlock(4, 2, stride=2)(torch.randn(2, 4, 10, 12)).shape
        torch.Size([2, 8, 5, 6])
    """

    expansion = 4

    def __init__(self, in_dim: int, channels: int, stride: int = 1, conv: ConvFactory = conv2d):
        super().__init__()
        out_dim = channels * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(in_dim, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            conv(channels, channels, 3, stride),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, out_dim, 1, bias=False),
            nn.BatchNorm2d(out_dim),
        )
        self.shortcut = make_shortcut(in_dim, out_dim, stride)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, in, F, T] -> [B, 4*channels, F/stride, T/stride]."""
        return self.relu(self.body(x) + self.shortcut(x))


def make_shortcut(in_dim: int, out_dim: int, stride: int) -> nn.Module:
    """Identity when shapes agree, else a strided 1x1 projection with batch norm."""
    if stride == 1 and in_dim == out_dim:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_dim, out_dim, 1, stride=stride, bias=False), nn.BatchNorm2d(out_dim)
    )


class ResNet(SpeakerModel):
    """ResNet speaker-embedding extractor (registered as presets ``resnet10`` ... ``resnet101``).

    Args:
        feat_dim: input features (frequency bins).
        embed_dim: embedding size.
        depth: 10, 18, 34, 50 or 101.
        width: first-stage channels, int or ``full``/``half``/``thin``/``quarter``.
        pooling: POOLING registry name (applied over time to channels x frequency).
        pooling_conf: extra pooling arguments.
        freq_weights: optional fixed input weights [feat_dim].

    ``forward_features`` also returns ``feature_map`` [B, C, F', T'] of the last stage.

    Example:
        >>> m = ResNet(feat_dim=16, embed_dim=8, depth=10, width=4)
        >>> m(torch.randn(2, 40, 16)).shape
        torch.Size([2, 8])
    """

    def __init__(
        self,
        feat_dim: int = 80,
        embed_dim: int = 256,
        depth: int = 34,
        width: Union[int, str] = 32,
        pooling: str = "stats",
        pooling_conf: Optional[Dict[str, Any]] = None,
        freq_weights: Optional[Any] = None,
    ):
        super().__init__(feat_dim, embed_dim, freq_weights)
        if depth not in DEPTHS:
            raise ValueError(f"ResNet depth {depth}; valid: {', '.join(map(str, DEPTHS))}")
        base = resolve_width(width)
        block_kind, stage_blocks = DEPTHS[depth]
        block = BasicBlock if block_kind == "basic" else BottleneckBlock
        conv = self.conv_factory
        self.stem = nn.Sequential(conv(1, base, 3, 1), nn.BatchNorm2d(base), nn.ReLU())
        stages = []
        in_dim = base
        for stage, n_blocks in enumerate(stage_blocks):
            channels = base * 2**stage
            blocks = []
            for i in range(n_blocks):
                stride = (1 if stage == 0 else 2) if i == 0 else 1
                blocks.append(block(in_dim, channels, stride, conv))
                in_dim = channels * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        out_freq = feat_dim
        for _ in range(3):
            out_freq = (out_freq - 1) // 2 + 1
        self.pooling = build_pooling(pooling, in_dim * out_freq, pooling_conf)
        self.embedding = nn.Linear(self.pooling.out_dim, embed_dim)

    def conv_factory(self, in_dim: int, out_dim: int, kernel_size: int, stride: int = 1):
        """The k x k convolution of the stem and blocks; subclasses swap in other kinds."""
        return conv2d(in_dim, out_dim, kernel_size, stride)

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        fmap = self.stages(self.stem(frames_to_image(x)))
        out["feature_map"] = fmap
        frames = fmap.flatten(1, 2)
        out["frame_features"] = frames
        out["embedding"] = self.embedding(pool_outputs(self.pooling, frames, out))
        return out


ResNet10 = register_preset("resnet10", ResNet, "ResNet10", "ResNet-10, width 32", depth=10)
ResNet18 = register_preset("resnet18", ResNet, "ResNet18", "ResNet-18, width 32", depth=18)
ResNet34 = register_preset("resnet34", ResNet, "ResNet34", "ResNet-34, width 32 (6.6M)", depth=34)
ResNet50 = register_preset("resnet50", ResNet, "ResNet50", "ResNet-50, width 32", depth=50)
ResNet101 = register_preset("resnet101", ResNet, "ResNet101", "ResNet-101, width 32", depth=101)
