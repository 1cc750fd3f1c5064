"""Using a trained model: the :class:`Encoder` API, export, and the verifier's operating points.

Example:
    >>> from TrainAndTest.inference import Encoder  # doctest: +SKIP
    >>> enc = Encoder.load("exp/ecapa_tdnn_demo")  # doctest: +SKIP
    >>> enc("a.wav").shape  # doctest: +SKIP
    torch.Size([1, 192])
"""

from TrainAndTest.inference.audio_input import InputError, read_input_audio
from TrainAndTest.inference.encoder import (
    MIN_DURATION,
    BatchError,
    BatchResult,
    Encoder,
    EncoderError,
    cosine_score,
)

__all__ = [
    "MIN_DURATION",
    "BatchError",
    "BatchResult",
    "Encoder",
    "EncoderError",
    "InputError",
    "cosine_score",
    "read_input_audio",
]
