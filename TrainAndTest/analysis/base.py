"""Base class and registry of attribution methods, and the maps they share.

Every method answers one question: which time-frequency bins of one utterance's model
input ``x`` ``[frames, bins]`` made a scalar target (a training speaker's logit, or the
cosine score against an enrolment embedding, see :mod:`TrainAndTest.analysis.targets`)
large. :meth:`Attribution.attribute` returns a map of the same shape ``[frames, bins]``,
aligned row by row with ``x``. Gradient maps (saliency, integrated gradients) are on the
input grid already; layer maps (Grad-CAM, attention) live on a layer's grid ``[F', T']``
(``F' = 1`` for 1-D networks, whose layers have no frequency axis) and are resized onto the
input grid by :func:`to_input_grid`.

Signs: integrated gradients and expected integrated gradients keep their sign (their sum is
the target difference); every other method returns non-negative maps. Measures of where the
mass is (:func:`band_mass`) use absolute values.

Example:
    >>> import torch
    >>> to_input_grid(torch.ones(1, 4), frames=8, bins=3).shape
    torch.Size([8, 3])
    >>> float(band_mass(torch.tensor([[0.0, 3.0, 1.0]]), 1, 2))
    0.75
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F

from Process_Data.registry import Registry


class AnalysisError(ValueError):
    """Bad input for an analysis: the message says what is wrong and lists valid choices."""


class Attribution:
    """Base of every attribution method.

    Args:
        target: a :class:`TrainAndTest.analysis.targets.Target` (``target(x [B, T, F]) -> [B]``;
            ``target.model`` is the embedding network).
        layer: module path of the layer a layer method hooks (None: its default). Methods
            that use no layer reject one.

    Subclasses implement :meth:`_attribute` on a ``[1, T, F]`` tensor.
    """

    #: whether ``--layer`` means something for the method
    uses_layer = False

    def __init__(self, target: Any, layer: Optional[str] = None):
        self.target = target
        self.model = target.model
        if layer is not None and not self.uses_layer:
            raise AnalysisError(
                f"method '{type(self).__name__}' uses no layer; --layer goes with: "
                f"{', '.join(n for n, c in ATTRIBUTIONS.items() if c.uses_layer)}"
            )
        self.layer = layer

    def attribute(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``[frames, bins]`` of ``x`` ``[frames, bins]`` (float32, detached, CPU)."""
        if x.dim() != 2:
            raise AnalysisError(f"expected one utterance [frames, bins], got {list(x.shape)}")
        x = x.detach().float()[None]
        out = self._attribute(x)
        if out.shape != x.shape[1:]:
            raise AnalysisError(
                f"{type(self).__name__}: map {list(out.shape)} does not match the input "
                f"{list(x.shape[1:])}"
            )
        return out.detach().float().cpu()

    def _attribute(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


ATTRIBUTIONS = Registry("analysis method", Attribution)


def to_input_grid(layer_map: torch.Tensor, frames: int, bins: int) -> torch.Tensor:
    """Resize a layer map ``[F', T']`` (frequency x time) onto the input grid ``[frames, bins]``.

    Bilinear, corners not aligned (each layer cell covers an equal share of the input). A
    map with one frequency row (1-D networks) is the same for every bin.
    """
    m = layer_map.detach().float()
    if m.dim() != 2:
        raise AnalysisError(f"expected a layer map [freq, time], got {list(m.shape)}")
    up = F.interpolate(m[None, None], size=(bins, frames), mode="bilinear", align_corners=False)
    return up[0, 0].t().contiguous()


def band_mass(saliency: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
    """Share of ``|saliency|`` (``[frames, bins]``) in bins ``lo <= b < hi``."""
    s = saliency.abs()
    total = s.sum()
    return s[:, lo:hi].sum() / total if total > 0 else torch.tensor(0.0)


def method_options(name: str, options: Dict[str, Any]) -> Dict[str, Any]:
    """The entries of ``options`` that method ``name``'s constructor takes (others dropped).

    Lets one command line carry every method's options (``--steps`` for integrated
    gradients, ``--samples`` for expected integrated gradients) and each method get its own.
    """
    from Process_Data.registry import accepted_keywords

    keys = accepted_keywords(ATTRIBUTIONS.get(name), positional=1) or []
    return {k: v for k, v in options.items() if k in keys and v is not None}


def build_method(name: str, target: Any, layer: Optional[str] = None, **options: Any) -> Attribution:
    """Method ``name`` on ``target``; unknown names list the valid ones (AnalysisError)."""
    try:
        cls = ATTRIBUTIONS.get(name)
    except KeyError as e:
        raise AnalysisError(e.args[0]) from None
    kwargs = method_options(name, options)
    if layer is not None:
        kwargs["layer"] = layer
    return cls(target, **kwargs)
