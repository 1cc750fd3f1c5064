"""Embed audio files with a trained model: ``python -m TrainAndTest.bin.embed``.

Usage:
    python -m TrainAndTest.bin.embed [options] <exp-dir|model.pt> <wav | dir | wav.scp> <out.ark|out.npy>

e.g.:
    python -m TrainAndTest.bin.embed exp/ecapa_tdnn_demo data/test/wav.scp xvectors.ark

Inputs: one audio file (key: its name without extension), a directory (every
.wav/.flac/.ogg/.mp3/.m4a file below it, keys: relative paths without extension, '/' as
'-'), or a Kaldi wav.scp (``utt path`` or ``utt command |``). The model's own front end
is applied (resampling, down-mixing, features, VAD, CMN; the dither of training, seeded
per input so that the same audio gives the same embedding). Outputs: a Kaldi
archive ``.ark`` (with ``.scp`` beside it) or ``.npy`` (a ``[N, dim]`` float32 matrix, and
``.keys`` with the N keys in row order). Files that cannot be embedded (missing, empty,
not audio, silent, shorter than --min-duration) are reported one per line on stderr and
left out; the others are written (Kaldi's rule: the exit code is 1 only when nothing was
embedded, or 2 with --strict when anything failed).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional, Tuple

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".sph")


def list_inputs(source: str) -> List[Tuple[str, str]]:
    """``(key, audio entry)`` pairs of a file, a directory or a wav.scp (see the module doc).

    Example:
        >>> list_inputs("/data/spk1/a.wav")
        [('a', '/data/spk1/a.wav')]
    """
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
        if not files:
            raise ValueError(f"{source}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) below it")
        return [
            (str(p.relative_to(path).with_suffix("")).replace(os.sep, "-"), str(p)) for p in files
        ]
    if path.suffix == ".scp" or path.name == "wav.scp":
        if not path.is_file():
            raise ValueError(f"{source}: no such file")
        pairs = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                raise ValueError(f"{source}:{n}: expected '<utt> <path or command |>'")
            pairs.append((parts[0], parts[1]))
        return pairs
    return [(path.stem, source)]


def write_embeddings(out: str, keys: List[str], vectors) -> None:
    """Write ``out.ark`` (+ ``.scp``) or ``out.npy`` (+ ``.keys``), each atomically."""
    import numpy as np

    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".npy":
        tmp = target.with_name(target.name + ".tmp.npy")
        np.save(tmp, np.stack(vectors).astype(np.float32))
        os.replace(tmp, target)
        kpath = target.with_suffix(".keys")
        ktmp = kpath.with_name(kpath.name + ".tmp")
        ktmp.write_text("".join(k + "\n" for k in keys))
        os.replace(ktmp, kpath)
        return
    import kaldiio

    scp = target.with_suffix(".scp")
    tmp_ark = target.with_name(target.name + ".tmp")
    tmp_scp = scp.with_name(scp.name + ".tmp")
    with kaldiio.WriteHelper(f"ark,scp:{tmp_ark},{tmp_scp}") as writer:
        for k, v in zip(keys, vectors):
            writer(k, np.asarray(v, dtype=np.float32))
    os.replace(tmp_ark, target)
    # the scp names the temporary ark: point it at the final name
    lines = tmp_scp.read_text().replace(str(tmp_ark), str(target))
    tmp_scp.write_text(lines)
    os.replace(tmp_scp, scp)


def main(argv: Optional[List[str]] = None) -> int:
    """Parse arguments, embed, write; returns the exit code."""
    p = argparse.ArgumentParser(
        prog="python -m TrainAndTest.bin.embed", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("model", help="exp dir (its final.pt) or a model file")
    p.add_argument("inputs", help="an audio file, a directory of them, or a wav.scp")
    p.add_argument("out", help="out.ark (Kaldi archive + .scp) or out.npy (+ .keys)")
    p.add_argument(
        "--label",
        default="embedding",
        help="named outputs to write, '|'-separated (see Encoder.labels)",
    )
    p.add_argument("--chunk-size", type=int, default=-1, help="frames per chunk (-1: whole)")
    p.add_argument("--min-chunk-size", type=int, default=25)
    p.add_argument(
        "--min-duration",
        type=float,
        default=None,
        help="shortest input in seconds (default: the Encoder's, 0.25)",
    )
    p.add_argument("--device", default="cpu")
    p.add_argument("--strict", action="store_true", help="exit 2 when any input failed")
    args = p.parse_args(argv)
    prog = "embed"
    if not (args.out.endswith(".ark") or args.out.endswith(".npy")):
        print(f"{prog}: {args.out}: the output must end in .ark or .npy", file=sys.stderr)
        return 1

    import torch

    from TrainAndTest.inference import Encoder, EncoderError, InputError

    torch.set_num_threads(1)
    try:
        kw = {} if args.min_duration is None else {"min_duration": args.min_duration}
        enc = Encoder.load(
            args.model,
            device=args.device,
            chunk_size=args.chunk_size,
            min_chunk_size=args.min_chunk_size,
            **kw,
        )
        enc.parse_label(args.label)
        pairs = list_inputs(args.inputs)
    except (EncoderError, ValueError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    keys, vectors, failed = [], [], []
    for key, entry in pairs:
        try:
            vectors.append(enc.embed_file(entry, args.label).numpy())
            keys.append(key)
        except InputError as e:
            failed.append(key)
            print(f"{prog}: FAILED {key}: {e}", file=sys.stderr)
    if vectors:
        write_embeddings(args.out, keys, vectors)
    print(
        f"{prog}: wrote {len(vectors)} embeddings to {args.out}; {len(failed)} failed"
        + (f": {' '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    if not vectors:
        return 1
    return 2 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
