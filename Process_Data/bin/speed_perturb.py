"""Speed-perturb one recording to a WAV on stdout, like ``sox <in> -t wav - speed <factor>``.

Usage:
    python -m Process_Data.bin.speed_perturb <factor> <audio-path | -> > out.wav

``-`` reads an audio file (WAV, FLAC, ...) from stdin, so pipes in wav.scp compose:
``sox x.flac -t wav - | python -m Process_Data.bin.speed_perturb 0.9 - |``. The factor has
sox ``speed`` semantics: tempo and pitch change together, the output lasts ``1/factor`` as
long at the input's sample rate (``Process_Data.audio.speed_change``). Output is 16-bit PCM
WAV (what Kaldi pipelines expect).

Example:
    python -m Process_Data.bin.speed_perturb 1.1 data/wav/a.flac > a_sp1.1.wav
"""

from __future__ import annotations

import io
import sys
from typing import List, Optional

import numpy as np


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    from Process_Data.audio import AudioError, decode_bytes, read_audio, speed_change
    from Process_Data.data_dir import DataDirError
    from Process_Data.data_ops.speed import parse_speed_factor

    try:
        factor = parse_speed_factor(argv[0])
        if argv[1] == "-":
            wav, sr = decode_bytes(sys.stdin.buffer.read(), "stdin")
        else:
            wav, sr = read_audio(argv[1], sample_rate=None)
    except (AudioError, DataDirError) as e:
        print(f"ERROR (speed_perturb): {e}", file=sys.stderr)
        return 1
    import soundfile as sf

    out = np.clip(speed_change(wav, factor), -1.0, 32767 / 32768)
    buf = io.BytesIO()
    sf.write(buf, out, sr, format="WAV", subtype="PCM_16")
    sys.stdout.buffer.write(buf.getvalue())
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
