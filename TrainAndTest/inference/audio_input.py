"""Reading one audio input for inference: a file (any channel count and rate) or a pipe.

Every failure is an :class:`InputError` whose message starts with the path, so a batch can
report which item failed and go on with the others.

Example:
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stereo.wav")
    >>> sf.write(path, np.full((800, 2), 0.25, np.float32), 8000)
    >>> wave, rate = read_input_audio(path)
    >>> wave.shape, rate
    ((800, 2), 8000)
    >>> read_input_audio(path + ".missing")
    Traceback (most recent call last):
    ...
    TrainAndTest.inference.audio_input.InputError: ...stereo.wav.missing: no such file
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Tuple, Union

import numpy as np


class InputError(ValueError):
    """An input that cannot be embedded; the message names the file (or batch item)."""


def read_input_audio(path: Union[str, Path]) -> Tuple[np.ndarray, int]:
    """Samples ``[samples]`` or ``[samples, channels]`` float32 in [-1, 1], and the rate.

    Plain files are read with soundfile keeping every channel (the front end down-mixes
    them); a ``wav.scp`` command ending in ``|`` and compressed formats go through
    :func:`Process_Data.audio.read_audio` (first channel).

    Raises:
        InputError: missing, empty, or unreadable (non-audio) file, naming it.
    """
    entry = str(path).strip()
    if entry.endswith("|"):
        return _read_with_recipe_reader(entry)
    if not os.path.exists(entry):
        raise InputError(f"{entry}: no such file")
    if os.path.isdir(entry):
        raise InputError(f"{entry}: is a directory, not an audio file")
    if os.path.getsize(entry) == 0:
        raise InputError(f"{entry}: empty file (0 bytes)")
    import soundfile as sf

    try:
        wave, rate = sf.read(entry, dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises its own types; mp3/m4a go through ffmpeg
        try:
            return _read_with_recipe_reader(entry)
        except InputError:
            raise InputError(f"{entry}: not a readable audio file ({e})") from None
    if wave.shape[1] == 1:
        wave = wave[:, 0]
    return np.ascontiguousarray(wave), int(rate)


def _read_with_recipe_reader(entry: str) -> Tuple[np.ndarray, int]:
    from Process_Data.audio import AudioError, read_audio

    try:
        return read_audio(entry)
    except (AudioError, OSError, ValueError, RuntimeError) as e:
        msg = str(e)
        raise InputError(msg if entry.rstrip("|").strip() in msg else f"{entry}: {msg}") from None
