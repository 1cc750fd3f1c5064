"""Base class and registry of augmentation stages.

A stage is a small pure transform: ``stage(x, rng) -> y`` with ``rng`` a
``numpy.random.Generator``; everything random comes from ``rng`` so that a seed reproduces the
output exactly. ``domain`` says what a stage transforms: ``"wave"`` (1-D float32 samples in
[-1, 1] at ``sample_rate``) or ``"feats"`` (a ``[frames, feat_dim]`` float32 matrix).

Example:
    >>> import Process_Data.augment  # registers every stage
    >>> AUGMENTATIONS.names()
    ['add_noise', 'device', 'reverberate', 'spec_augment', 'speed_perturb', 'telephone']
"""

from __future__ import annotations

from Process_Data.registry import Registry


class AugmentationError(ValueError):
    """A bad augmentation setting or input; the message names the option or file and line."""


class Augmentation:
    """One augmentation stage; subclasses implement ``__call__(x, rng)``.

    Attributes:
        domain: ``"wave"`` or ``"feats"``.
    """

    domain = "wave"

    def __call__(self, x, rng):  # pragma: no cover - abstract
        """Return the augmented copy of ``x`` (never modify ``x`` in place)."""
        raise NotImplementedError


#: Registry of augmentation stages (name -> Augmentation subclass).
AUGMENTATIONS = Registry("augmentation", Augmentation)
