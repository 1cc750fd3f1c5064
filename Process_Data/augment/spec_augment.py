"""SpecAugment on a feature matrix: random time masks and frequency masks.

Each mask sets a band to ``fill`` (default 0, i.e. the mean after mean normalisation): a time
mask covers ``w`` consecutive frames with ``w`` uniform in ``[0, max_time_width]``; a frequency
mask covers ``w`` consecutive bins, ``w`` uniform in ``[0, max_freq_width]``.

Example:
    >>> import numpy as np
    >>> aug = SpecAugment(num_time_masks=1, max_time_width=3, num_freq_masks=0)
    >>> y = aug(np.ones((10, 4), np.float32), np.random.default_rng(0))
    >>> y.shape, int((y == 0).all(axis=1).sum()) <= 3
    ((10, 4), True)
"""

from __future__ import annotations

import numpy as np

from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError


@AUGMENTATIONS.register("spec_augment")
class SpecAugment(Augmentation):
    """Time and frequency masking of a ``[frames, feat_dim]`` matrix.

    Args:
        num_time_masks: how many time masks.
        max_time_width: widest time mask (frames).
        num_freq_masks: how many frequency masks.
        max_freq_width: widest frequency mask (bins).
        fill: value written into masked cells.
    """

    domain = "feats"

    def __init__(
        self,
        num_time_masks: int = 1,
        max_time_width: int = 10,
        num_freq_masks: int = 1,
        max_freq_width: int = 8,
        fill: float = 0.0,
    ):
        for name, v in (
            ("num_time_masks", num_time_masks),
            ("max_time_width", max_time_width),
            ("num_freq_masks", num_freq_masks),
            ("max_freq_width", max_freq_width),
        ):
            if int(v) != v or v < 0:
                raise AugmentationError(f"spec_augment: {name} must be an integer >= 0, got {v!r}")
        self.num_time_masks, self.max_time_width = int(num_time_masks), int(max_time_width)
        self.num_freq_masks, self.max_freq_width = int(num_freq_masks), int(max_freq_width)
        self.fill = float(fill)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return a masked copy of ``x``."""
        y = np.array(x, dtype=np.float32)
        frames, dim = y.shape
        for axis, n, wmax, size in (
            (0, self.num_time_masks, self.max_time_width, frames),
            (1, self.num_freq_masks, self.max_freq_width, dim),
        ):
            for _ in range(n):
                w = int(rng.integers(0, min(wmax, size) + 1))
                start = int(rng.integers(0, size - w + 1))
                if axis == 0:
                    y[start : start + w, :] = self.fill
                else:
                    y[:, start : start + w] = self.fill
        return y
