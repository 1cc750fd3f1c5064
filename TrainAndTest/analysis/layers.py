"""Layers of a model by module path: which ones have frame-level outputs, hooks on them.

A *frame-level* layer is one whose output keeps the time axis: ``[B, C, T']`` (1-D
networks: TDNN, ECAPA) or ``[B, C, F', T']`` (2-D networks, frequency before time as in
``models.layers.frames_to_image``). Grad-CAM and its kin work on those; the names come
from ``model.named_modules()`` (``blocks.2.net.0``, ``stages.1.0.conv1``).

Example:
    >>> import torch
    >>> from TrainAndTest.models import MODELS
    >>> m = MODELS.build("xvector_tdnn", feat_dim=8, embed_dim=4, channels=8, stats_channels=8)
    >>> frame_layers(m)[:2]
    ['frame_layers.0.conv', 'frame_layers.0.relu']
    >>> find_layer(m, "frame_layers.9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TrainAndTest.analysis.base.AnalysisError: unknown layer 'frame_layers.9' of XVectorTdnn; valid layers: frame_layers.0.conv, ...
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterator, List

import torch
from torch import nn

from TrainAndTest.analysis.base import AnalysisError


def _probe_outputs(model: nn.Module, frames: int = 64) -> Dict[str, torch.Size]:
    """Output shape of every named module on a random input (forward order kept)."""
    shapes: Dict[str, torch.Size] = {}
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def hook(_m, _i, out, name=name):
            if isinstance(out, torch.Tensor) and name not in shapes:
                shapes[name] = out.shape

        handles.append(module.register_forward_hook(hook))
    try:
        frames = max(frames, int(getattr(model, "min_frames", 1)))
        with torch.no_grad():
            was = model.training
            model.eval()
            model(torch.randn(1, frames, model.feat_dim))
            model.train(was)
    finally:
        for h in handles:
            h.remove()
    return shapes


def frame_layers(model: nn.Module, frames: int = 64) -> List[str]:
    """Module paths of the frame-level layers of ``model``, in the order their outputs are
    made (a block after the layers inside it).

    The pooling layer and its scorer are left out: their outputs are attention logits, not
    features of the utterance.
    """
    shapes = _probe_outputs(model, frames)
    return [n for n, s in shapes.items()
            if len(s) in (3, 4) and not (n == "pooling" or n.startswith("pooling."))]


def default_layer(model: nn.Module) -> str:
    """The last frame-level layer before the pooling (Grad-CAM's usual choice)."""
    names = frame_layers(model)
    if not names:
        raise AnalysisError(f"{type(model).__name__} has no frame-level layer")
    return names[-1]


def find_layer(model: nn.Module, path: str) -> nn.Module:
    """The module at ``path``; AnalysisError listing the frame-level layers otherwise."""
    valid = frame_layers(model)
    if path not in valid:
        raise AnalysisError(f"unknown layer '{path}' of {type(model).__name__}; valid layers: "
                            f"{', '.join(valid)}")
    return dict(model.named_modules())[path]


@contextmanager
def capture_outputs(modules: Dict[str, nn.Module]) -> Iterator[Dict[str, torch.Tensor]]:
    """Record the (last) output tensor of each module while the block runs.

    Example:
        >>> lin = nn.Linear(2, 3)
        >>> with capture_outputs({"lin": lin}) as out:
        ...     _ = lin(torch.ones(1, 2))
        >>> out["lin"].shape
        torch.Size([1, 3])
    """
    outputs: Dict[str, torch.Tensor] = {}
    handles = [
        m.register_forward_hook(lambda _m, _i, out, n=n: outputs.__setitem__(n, out))
        for n, m in modules.items()
    ]
    try:
        yield outputs
    finally:
        for h in handles:
            h.remove()


def as_grid(act: torch.Tensor) -> torch.Tensor:
    """A frame-level output ``[B, C, T']`` or ``[B, C, F', T']`` as ``[B, C, F', T']``."""
    if act.dim() == 3:
        return act.unsqueeze(2)
    if act.dim() == 4:
        return act
    raise AnalysisError(f"not a frame-level output: shape {list(act.shape)}")


def frame_feature_grid(model: nn.Module, frame_channels: int) -> int:
    """Frequency rows ``F'`` folded into the ``frame_features`` channels of a 2-D network.

    2-D networks flatten ``[B, C, F', T']`` into ``[B, C * F', T']`` before pooling
    (``models.base``); this finds ``F'`` from the last 4-D layer output whose ``C * F'`` is
    ``frame_channels``. 1-D networks give 1.
    """
    rows = 1
    for shape in _probe_outputs(model).values():
        if len(shape) == 4 and shape[1] * shape[2] == frame_channels:
            rows = int(shape[2])
    return rows
