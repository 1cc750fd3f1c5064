"""Base class of every speaker-embedding network, the ``MODELS`` registry and presets.

Conventions shared by all models:

* input ``[batch, frames, feat_dim]`` (Kaldi matrix layout); models transpose inside;
* ``forward(x)`` and ``embed(x)`` return the embedding ``[batch, embed_dim]`` (no
  classification head: losses/heads live in ``TrainAndTest.losses``);
* ``forward_features(x)`` returns a dict of named hierarchical outputs: ``frame_features``
  ``[B, C, T']`` (for 2-D networks the channels and frequency bins are flattened into C),
  ``pool`` ``[B, P]``, ``attention`` ``[B, H, T']`` when the pooling has one, ``embedding``
  ``[B, embed_dim]``, plus model-specific extras;
* an optional fixed per-frequency weight vector ``freq_weights`` ``[feat_dim]`` multiplies
  the input before anything else (the frequency-attention hook), see
  :meth:`SpeakerModel.set_freq_weights`.

Example:
    >>> import torch
    >>> from TrainAndTest.models import MODELS
    >>> model = MODELS.build("xvector_tdnn", feat_dim=30, embed_dim=16, channels=32,
    ...                      stats_channels=48)
    >>> model(torch.randn(2, 50, 30)).shape
    torch.Size([2, 16])
    >>> sorted(model.forward_features(torch.randn(2, 50, 30)))
    ['embedding', 'frame_features', 'pool']
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from Process_Data.registry import Registry
from TrainAndTest.pooling import POOLING


class SpeakerModel(nn.Module):
    """Base of every model: input checks, the frequency-weight hook, the common API.

    Subclasses implement :meth:`_forward_features` on an input that is already checked
    and frequency-weighted, still in ``[batch, frames, feat_dim]`` layout.

    Args:
        feat_dim: input feature dimension (fbank/MFCC bins).
        embed_dim: embedding dimension.
        freq_weights: optional fixed weights ``[feat_dim]`` multiplying the input.

    Attributes:
        min_frames: shortest input (frames) the architecture accepts.
    """

    min_frames = 1

    def __init__(self, feat_dim: int, embed_dim: int, freq_weights: Optional[Any] = None):
        super().__init__()
        if feat_dim <= 0 or embed_dim <= 0:
            raise ValueError(
                f"{type(self).__name__}: feat_dim and embed_dim must be positive, "
                f"got {feat_dim}, {embed_dim}"
            )
        self.feat_dim = int(feat_dim)
        self.embed_dim = int(embed_dim)
        self.register_buffer("freq_weights", None)
        if freq_weights is not None:
            self.set_freq_weights(freq_weights)

    def set_freq_weights(self, weights: Optional[Any]) -> None:
        """Set (or with None remove) the fixed per-frequency input weights.

        Args:
            weights: sequence/array/tensor of ``feat_dim`` finite numbers, or None.

        Example:
            >>> m = SpeakerModel(feat_dim=3, embed_dim=2)
            >>> m.set_freq_weights([1.0, 0.5, 0.0]); m.freq_weights
            tensor([1.0000, 0.5000, 0.0000])
        """
        if weights is None:
            self.freq_weights = None
            return
        w = torch.as_tensor(weights, dtype=torch.float32).detach().clone()
        if w.shape != (self.feat_dim,):
            raise ValueError(
                f"{type(self).__name__}: freq_weights must have shape [{self.feat_dim}], "
                f"got {list(w.shape)}"
            )
        if not torch.isfinite(w).all():
            raise ValueError(f"{type(self).__name__}: freq_weights must be finite")
        device = next((p.device for p in self.parameters()), torch.device("cpu"))
        self.freq_weights = w.to(device)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # the buffer is None until set; accept a checkpoint that carries weights
        key = prefix + "freq_weights"
        if key in state_dict and self.freq_weights is None:
            self.freq_weights = torch.empty_like(state_dict[key])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != self.feat_dim:
            raise ValueError(
                f"{type(self).__name__}: expected input [batch, frames, {self.feat_dim}], "
                f"got {list(x.shape)}"
            )
        if x.shape[1] < self.min_frames:
            raise ValueError(
                f"{type(self).__name__}: needs at least {self.min_frames} frames, "
                f"got {x.shape[1]}"
            )
        if self.freq_weights is not None:
            x = x * self.freq_weights
        return x

    def forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Named hierarchical outputs for ``x`` [B, T, F]; see the module docstring."""
        return self._forward_features(self._check_input(x))

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding [B, embed_dim] of ``x`` [B, T, feat_dim]."""
        return self.forward_features(x)["embedding"]

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`forward`: the embedding-layer output [B, embed_dim]."""
        return self.forward(x)


MODELS = Registry("model", SpeakerModel)


def build_pooling(name: str, in_dim: int, conf: Optional[Dict[str, Any]] = None) -> nn.Module:
    """Build pooling ``name`` from the POOLING registry on ``in_dim`` channels.

    Example:
        >>> build_pooling("stats", 4).out_dim
        8
    """
    return POOLING.build(name, in_dim=in_dim, **dict(conf or {}))


def pool_outputs(
    pooling: nn.Module, frames: torch.Tensor, out: Dict[str, torch.Tensor]
) -> torch.Tensor:
    """Run ``pooling`` on ``frames`` [B, C, T], store ``pool``/``attention`` in ``out``."""
    pooled, attention = pooling(frames, return_attention=True)
    out["pool"] = pooled
    if attention is not None:
        out["attention"] = attention
    return pooled


class FramePoolModel(SpeakerModel):
    """A stack of frame layers, pooling, then one affine embedding layer (x-vector family).

    Subclasses build ``frame_layers`` ([B, F, T] -> [B, stats_channels, T]) and call
    :meth:`set_head`; outputs are ``frame_features``, ``pool`` (and ``attention``) and
    ``embedding``.
    """

    def set_head(self, frame_layers: nn.Module, stats_channels: int, pooling: str,
                 pooling_conf: Optional[Dict[str, Any]]) -> None:
        """Attach ``frame_layers`` and the pooling + embedding layers after them."""
        self.frame_layers = frame_layers
        self.pooling = build_pooling(pooling, stats_channels, pooling_conf)
        self.embedding = nn.Linear(self.pooling.out_dim, self.embed_dim)

    def _forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        frames = self.frame_layers(x.transpose(1, 2).contiguous())
        out["frame_features"] = frames
        out["embedding"] = self.embedding(pool_outputs(self.pooling, frames, out))
        return out


def set_attentive_head(model: SpeakerModel, in_channels: int, pooling: str,
                       pooling_conf: Optional[Dict[str, Any]], attention_channels: int) -> None:
    """ECAPA-style head on ``model``: pooling (attentive ones get ``attention_channels``),
    ``pool_bn``, and ``embedding`` (affine + batch norm)."""
    conf = dict(pooling_conf or {})
    if pooling in ("asp", "sap", "mhasp"):
        conf.setdefault("attention_dim", attention_channels)
    model.pooling = build_pooling(pooling, in_channels, conf)
    model.pool_bn = nn.BatchNorm1d(model.pooling.out_dim)
    model.embedding = nn.Sequential(
        nn.Linear(model.pooling.out_dim, model.embed_dim), nn.BatchNorm1d(model.embed_dim)
    )


def register_preset(name: str, cls: type, cls_name: str, doc: str, **defaults: Any) -> type:
    """Register a subclass of ``cls`` named ``cls_name`` whose constructor defaults are
    ``defaults``.

    Keyword arguments given when building still win over the preset's defaults. Assign the
    result to the module-level name ``cls_name`` so that pickled models find their class:
    ``EcapaTdnnC1024 = register_preset("ecapa_tdnn_c1024", EcapaTdnn, "EcapaTdnnC1024",
    "ECAPA-TDNN, C=1024", channels=1024)``.

    Args:
        name: registry name.
        cls: the model class.
        cls_name: class name of the preset.
        doc: one-line description.
        defaults: constructor defaults.

    Returns:
        The registered subclass.
    """

    def init(self, **kwargs: Any) -> None:
        """Build ``cls`` with the preset defaults, overridden by ``kwargs``."""
        cls.__init__(self, **{**defaults, **kwargs})

    settings = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
    sub = type(
        cls_name,
        (cls,),
        {
            "__init__": init,
            "__doc__": f"{doc}: :class:`{cls.__name__}` with "
            f"{settings}.",
            "__module__": cls.__module__,
            "preset_defaults": dict(defaults),
        },
    )
    return MODELS.register(name)(sub)


def as_tuple(values: Sequence[int], length: int, what: str) -> tuple:
    """``values`` as a tuple of ``length`` ints; ValueError naming ``what`` otherwise."""
    values = tuple(int(v) for v in values)
    if len(values) != length:
        raise ValueError(f"{what}: expected {length} values, got {len(values)}: {values}")
    return values
