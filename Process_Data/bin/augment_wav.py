"""Write one augmented utterance (an offline augmentation descriptor) as WAV on stdout.

Usage: ``python -m Process_Data.bin.augment_wav [options] -- <clean wav.scp entry>``; see
``Process_Data.augment.descriptor`` for the options and the computation.

Example:
    python -m Process_Data.bin.augment_wav --seed 1 --bg-noise 10 music.wav -- clean.flac > a.wav
"""

from __future__ import annotations

import io
import sys


def main(argv=None) -> int:
    """Parse ``argv``, render the augmented audio and write it to stdout; return 0 or 1."""
    import soundfile as sf

    from Process_Data.audio import AudioError, read_audio
    from Process_Data.augment.base import AugmentationError
    from Process_Data.augment.descriptor import arg_parser, plan_from_args, render

    ns = arg_parser().parse_args(argv)
    plan = plan_from_args(ns)
    try:
        wav = render(plan, read_audio(ns.clean_entry, plan.sample_rate)[0])
    except (AudioError, AugmentationError) as e:
        print(f"augment_wav: {e}", file=sys.stderr)
        return 1
    buf = io.BytesIO()
    sf.write(buf, wav, plan.sample_rate, format="WAV", subtype="FLOAT")
    sys.stdout.buffer.write(buf.getvalue())
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
