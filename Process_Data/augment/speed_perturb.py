"""Speed perturbation (Kaldi's ``sox speed``: tempo and pitch change together).

A factor ``f`` plays the audio ``f`` times faster: the output has ``len(x) / f`` samples at the
same sample rate (``Process_Data.audio.speed_change``, the recipe's one speed change). Kaldi's
recipes use factors 0.9, 1.0 and 1.1 and treat the perturbed copies as new speakers
(``sp0.9-<spk>``); ``as_new_speakers`` records that choice for the loader, which then maps
label ``l`` of factor index ``k`` to ``l + k * num_speakers``.

Example:
    >>> import numpy as np
    >>> SpeedPerturb(factors=[1.1]).apply(np.zeros(1100, np.float32), 0)[0].shape
    (1000,)
"""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from Process_Data.audio import speed_change
from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError


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
        """``(speed_change(x, factors[index]), index)``."""
        return speed_change(x, self.factors[index]), index

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return ``x`` at a random speed."""
        return self.apply(x, self.sample(rng))[0]
