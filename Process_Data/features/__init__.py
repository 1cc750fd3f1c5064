"""Kaldi-exact acoustic features: spectrogram, fbank, MFCC, PLP; energy VAD; sliding CMVN.

``FEATURES`` maps a type name to its computer class; options follow Kaldi's names and
option files (see :mod:`Process_Data.features.options`).

Example:
    >>> import numpy as np
    >>> from Process_Data.features import FEATURES, parse_options
    >>> FEATURES.names()
    ['fbank', 'mfcc', 'plp', 'spectrogram']
    >>> comp = FEATURES.build("mfcc", opts=parse_options("mfcc", ["--dither=0"]))
    >>> comp.compute(np.zeros(4000, np.float32)).shape
    (23, 13)
"""

from Process_Data.features import fbank, mfcc, plp, spectrogram  # noqa: F401  (registration)
from Process_Data.features.computer import FEATURES, FeatureComputer
from Process_Data.features.options import OptionError, parse_options

__all__ = ["FEATURES", "FeatureComputer", "OptionError", "parse_options"]
