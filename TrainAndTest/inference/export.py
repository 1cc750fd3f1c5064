"""Export a trained model to TorchScript or ONNX, each with a JSON sidecar.

* TorchScript (``.pt``): waveform ``[batch, samples]`` at the sidecar's ``sample_rate`` in,
  embedding ``[batch, dim]`` out, the front end inside (:class:`WaveFrontend`).
* ONNX (``.onnx``): ``input="waveform"`` as TorchScript, or ``input="features"``: model
  input ``[batch, frames, feat_dim]`` (the front end of the sidecar applied outside, VAD and
  CMN included). Batch and length axes are dynamic. onnxruntime is the reference runtime.

Rows of one batch must have equal lengths (pad nothing: run unequal inputs one at a time).
The whole input is embedded at once (no chunking). The sidecar ``<out>.json`` holds the
format, input kind and names, sample rate, feature and embedding dimensions, the front end
(``Frontend.to_dict``) and the operating point (calibration and thresholds) when the
experiment has one.

Dither: the waveform front end inside an exported model computes no dither (a traced graph
cannot carry the seeded noise generator of the eager front end, and ONNX runtimes draw
their own noise), so it equals ``Encoder(..., dither=0)``, not the :class:`Encoder`, which
keeps the model's dither (Kaldi's 1.0, as in training); the sidecar's front end says
``--dither=0.0``. The two agree on ordinary audio but not on stretches of digital silence
(exact zeros, e.g. zero padding), whose log-mel energies are then log(FLT_EPSILON)
instead of noise: trim such stretches, or add comparable noise yourself (Gaussian, of
standard deviation ``dither / 32768`` on a [-1, 1] waveform) before the exported model.
With ``input="features"`` the sidecar holds the model's own front end, dither included.

Example:
    >>> import tempfile, torch
    >>> from Process_Data.features.frontend import Frontend
    >>> from TrainAndTest.models import MODELS
    >>> from TrainAndTest.inference.encoder import Encoder
    >>> enc = Encoder(MODELS.build("xvector_tdnn", feat_dim=23, embed_dim=8, channels=16,
    ...               stats_channels=16), Frontend("fbank", ("--snip-edges=false",)))
    >>> out = export_encoder(enc, "torchscript", tempfile.mkdtemp() + "/m.pt")
    >>> scripted = torch.jit.load(str(out))
    >>> scripted(torch.randn(2, 8000) * 0.1).shape
    torch.Size([2, 8])
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Union

import torch
from torch import nn

from TrainAndTest.inference.encoder import Encoder, inference_frontend
from TrainAndTest.inference.operating_point import OperatingPoint
from TrainAndTest.inference.wave_frontend import WaveFrontend

FORMATS = ("torchscript", "onnx")
INPUTS = ("waveform", "features")
ONNX_OPSET = 17


class ExportedNet(nn.Module):
    """Front end (optional) + network -> embedding; what gets traced."""

    def __init__(self, model: nn.Module, frontend: Optional[WaveFrontend]):
        super().__init__()
        self.frontend = frontend
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embedding ``[B, dim]`` of waveforms ``[B, S]`` (or model input ``[B, T, F]``)."""
        if self.frontend is not None:
            x = self.frontend(x)
        return self.model(x)


def sidecar_path(out: Union[str, Path]) -> Path:
    """``<out>.json``."""
    out = Path(out)
    return out.with_name(out.name + ".json")


def _example(enc: Encoder, input_kind: str) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    if input_kind == "waveform":
        return torch.randn(2, 3 * enc.sample_rate, generator=gen) * 0.1
    return torch.randn(2, 300, enc.frontend.dim, generator=gen)


def export_encoder(
    enc: Encoder,
    fmt: str,
    out: Union[str, Path],
    input_kind: str = "waveform",
    operating_point: Optional[OperatingPoint] = None,
) -> Path:
    """Write ``out`` (and its sidecar) atomically; returns ``out``.

    Raises:
        ValueError: unknown format/input, or a front end :class:`WaveFrontend` cannot hold
            (FrontendError naming the option).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; valid: {', '.join(FORMATS)}")
    if input_kind not in INPUTS:
        raise ValueError(f"unknown input '{input_kind}'; valid: {', '.join(INPUTS)}")
    if fmt == "torchscript" and input_kind != "waveform":
        raise ValueError("TorchScript export takes waveforms (the front end inside)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    front = WaveFrontend(enc.frontend) if input_kind == "waveform" else None
    # what the exported model computes (waveform: no dither) or expects (features)
    frontend = inference_frontend(enc.frontend, 0.0) if front is not None else enc.frontend
    net = ExportedNet(enc.model.float().cpu(), front).eval()
    example = _example(enc, input_kind)
    in_name = "waveform" if input_kind == "waveform" else "features"
    tmp = out.with_name(out.name + ".tmp")
    with torch.no_grad():
        if fmt == "torchscript":
            traced = torch.jit.trace(net, (example,), check_trace=False)
            traced.save(str(tmp))
        else:
            axes = {0: "batch", 1: "samples" if input_kind == "waveform" else "frames"}
            torch.onnx.export(
                net,
                (example,),
                str(tmp),
                dynamo=False,
                opset_version=ONNX_OPSET,
                input_names=[in_name],
                output_names=["embedding"],
                dynamic_axes={in_name: axes, "embedding": {0: "batch"}},
            )
    os.replace(tmp, out)
    enc.model.to(enc.device)
    side: Dict[str, Any] = {
        "format": fmt,
        "input": input_kind,
        "input_name": in_name,
        "output_name": "embedding",
        "input_shape": ["batch", "samples"]
        if input_kind == "waveform"
        else ["batch", "frames", enc.frontend.dim],
        "sample_rate": enc.sample_rate,
        "feat_dim": enc.frontend.dim,
        "embed_dim": enc.embed_dim,
        "min_samples": int(enc.min_duration * enc.sample_rate),
        "frontend": frontend.to_dict(),
        "source": enc.source,
        "operating_point": operating_point.to_dict() if operating_point is not None else None,
    }
    sc = sidecar_path(out)
    tmp = sc.with_name(sc.name + ".tmp")
    tmp.write_text(json.dumps(side, indent=1) + "\n")
    os.replace(tmp, sc)
    return out
