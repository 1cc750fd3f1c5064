"""Augmentation: small pure stages (one per file) in the ``AUGMENTATIONS`` registry.

Stages (``stage(x, rng) -> y``, see ``base``):

* ``add_noise`` -- MUSAN-style noise, music and babble at SNRs (foreground/background);
* ``reverberate`` -- RIR convolution aligned on the direct path;
* ``speed_perturb`` -- 0.9/1.0/1.1 speed change;
* ``spec_augment`` -- time and frequency masks on features;
* ``telephone`` / ``device`` (``channel``) -- 8 kHz round trip with optional G.711 mu-law;
  random gain and device-like EQ.

``chain.Chain`` builds a YAML-configured chain with probabilities (online augmentation);
``descriptor`` and ``offline`` make Kaldi-v2-style augmented data dirs whose ``wav.scp``
entries reproduce the augmented audio (offline augmentation). Importing the package
registers ``descriptor`` with ``Process_Data.audio.read_audio``, which then computes such
entries in-process.

Example:
    >>> from Process_Data.augment import AUGMENTATIONS
    >>> AUGMENTATIONS.names()
    ['add_noise', 'device', 'reverberate', 'spec_augment', 'speed_perturb', 'telephone']
"""

from Process_Data.augment import (  # noqa: F401
    add_noise,
    channel,
    descriptor,
    reverberate,
    spec_augment,
    speed_perturb,
)
from Process_Data.augment.base import AUGMENTATIONS, Augmentation, AugmentationError

__all__ = ["AUGMENTATIONS", "Augmentation", "AugmentationError"]
