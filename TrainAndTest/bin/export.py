"""Export a trained model: ``python -m TrainAndTest.bin.export``.

Usage:
    python -m TrainAndTest.bin.export [--input waveform|features] <exp-dir|model.pt> \\
        --format torchscript|onnx <out>

e.g.:
    python -m TrainAndTest.bin.export exp/ecapa_tdnn_demo --format onnx exp/ecapa_tdnn_demo/model.onnx

Writes ``<out>`` and the sidecar ``<out>.json`` (input kind and name, sample rate,
feature and embedding dimensions, front end, the experiment's calibration and thresholds
when the calibration stage stored them). TorchScript takes waveforms ``[batch, samples]``
at the sidecar's sample rate, the front end inside; ONNX takes waveforms (default) or,
with ``--input features``, the model input ``[batch, frames, feat_dim]`` (needed for a
front end with VAD). Batch and length axes are dynamic; rows of a batch have equal lengths.
ONNX export needs the optional ``export`` extra (onnx; onnxruntime to run it).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments and export; returns the exit code."""
    from TrainAndTest.inference.export import FORMATS, INPUTS

    p = argparse.ArgumentParser(
        prog="python -m TrainAndTest.bin.export", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("model", help="exp dir (its final.pt) or a model file")
    p.add_argument("out", help="output file (.pt for TorchScript, .onnx for ONNX)")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument(
        "--input",
        default="waveform",
        choices=INPUTS,
        help="what the exported model takes (TorchScript: waveform only)",
    )
    args = p.parse_args(argv)
    prog = "export"

    import torch

    from Process_Data.features.frontend import FrontendError
    from TrainAndTest.inference import Encoder, EncoderError
    from TrainAndTest.inference.export import export_encoder, sidecar_path
    from TrainAndTest.inference.operating_point import load_operating_point

    torch.set_num_threads(1)
    if args.format == "onnx":
        try:
            import onnx  # noqa: F401
        except ImportError:
            print(
                f"{prog}: ONNX export needs the onnx package: utils/setup_venv.sh "
                "--with-export (pip install 'sv-recipe[export]')",
                file=sys.stderr,
            )
            return 1
    try:
        enc = Encoder.load(args.model)
        op = load_operating_point(args.model)
        out = export_encoder(enc, args.format, args.out, args.input, op)
    except (EncoderError, FrontendError, ValueError, OSError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    print(f"{prog}: wrote {out} and {sidecar_path(out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
