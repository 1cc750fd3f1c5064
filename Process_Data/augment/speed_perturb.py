"""Speed perturbation (Kaldi's ``sox speed``: tempo and pitch change together).

A factor ``f`` plays the audio ``f`` times faster: the output has ``len(x) / f`` samples at the
same sample rate, obtained by polyphase resampling from rate ``sr`` to ``sr / f``. Kaldi's
recipes use factors 0.9, 1.0 and 1.1 and treat the perturbed copies as new speakers
(``sp0.9-<spk>``); ``as_new_speakers`` records that choice for the loader, which then maps
label ``l`` of factor index ``k`` to ``l + k * num_speakers``.

Example:
    >>> import numpy as np
    >>> speed(np.zeros(1100, np.float32), 1.1).shape
    (1000,)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence, Tuple

import numpy as np

from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Resample ``x`` so that it plays ``factor`` times faster (identity for 1.0)."""
    if factor <= 0:
        raise AugmentationError(f"speed_perturb: factor must be > 0, got {factor}")
    if factor == 1.0:
        return np.asarray(x, dtype=np.float32).copy()
    from scipy.signal import resample_poly

    frac = Fraction(float(factor)).limit_denominator(1000)
    return resample_poly(np.asarray(x, np.float64), frac.denominator, frac.numerator).astype(
        np.float32
    )


@AUGMENTATIONS.register("speed_perturb")
class SpeedPerturb(Augmentation):
    """Pick one of ``factors`` uniformly and change the speed.

    Args:
        factors: speed factors (default Kaldi's 0.9, 1.0, 1.1).
        as_new_speakers: whether the loader gives each non-1.0 factor its own speaker labels.
    """

    def __init__(self, factors: Sequence[float] = (0.9, 1.0, 1.1), as_new_speakers: bool = True):
        self.factors = [float(f) for f in factors]
        if not self.factors or any(f <= 0 for f in self.factors):
            raise AugmentationError(f"speed_perturb: factors must be > 0, got {factors!r}")
        self.as_new_speakers = bool(as_new_speakers)

    def sample(self, rng: np.random.Generator) -> int:
        """Index of a random factor."""
        return int(rng.integers(len(self.factors)))

    def apply(self, x: np.ndarray, index: int) -> Tuple[np.ndarray, int]:
        """``(speed(x, factors[index]), index)``."""
        return speed(x, self.factors[index]), index

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return ``x`` at a random speed."""
        return self.apply(x, self.sample(rng))[0]
