"""Mel-frequency cepstral coefficients, as Kaldi's ``compute-mfcc-feats``.

Example:
    >>> from Process_Data.features.options import parse_options
    >>> Mfcc(parse_options("mfcc", ["--num-ceps=30", "--num-mel-bins=30"])).dim
    30
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
import torch

from Process_Data.features.computer import FEATURES, FLOAT_EPS, FeatureComputer
from Process_Data.features.mel import mel_banks
from Process_Data.features.options import OptionError


def dct_matrix(num_ceps: int, num_bins: int) -> np.ndarray:
    """The first ``num_ceps`` rows of the orthonormal DCT-II of size ``num_bins`` (Kaldi's).

    Example:
        >>> m = dct_matrix(3, 4)
        >>> m.shape, round(float(m[0, 0]), 4)
        ((3, 4), 0.5)
    """
    k = np.arange(num_ceps, dtype=np.float64)[:, None]
    n = np.arange(num_bins, dtype=np.float64)[None, :]
    m = math.sqrt(2.0 / num_bins) * np.cos(math.pi / num_bins * (n + 0.5) * k)
    m[0, :] = math.sqrt(1.0 / num_bins)
    return m


def lifter_coeffs(num_ceps: int, q: float) -> np.ndarray:
    """Cepstral lifter ``1 + q/2 sin(pi i / q)`` for ``i < num_ceps``.

    Example:
        >>> round(float(lifter_coeffs(13, 22.0)[1]), 4)
        2.5655
    """
    i = np.arange(num_ceps, dtype=np.float64)
    return 1.0 + 0.5 * q * np.sin(math.pi * i / q)


@FEATURES.register("mfcc")
class Mfcc(FeatureComputer):
    """DCT of the log mel energies, liftered; C0 replaced by the log energy with --use-energy.

    ``--htk-compat`` moves C0/energy to the last column (and scales C0 by sqrt 2, as HTK).
    """

    kind = "mfcc"

    def __init__(self, opts=None):
        super().__init__(opts)
        if self.opts.num_ceps > self.opts.mel.num_bins:
            raise OptionError(f"--num-ceps {self.opts.num_ceps} cannot exceed "
                              f"--num-mel-bins {self.opts.mel.num_bins}")

    @property
    def dim(self) -> int:
        """num_ceps."""
        return self.opts.num_ceps

    def _dct(self) -> np.ndarray:
        opts = self.opts
        m = dct_matrix(opts.num_ceps, opts.mel.num_bins)
        if opts.cepstral_lifter != 0.0:
            m = m * lifter_coeffs(opts.num_ceps, opts.cepstral_lifter)[:, None]
        return np.ascontiguousarray(m.T.astype(np.float32))

    def _from_power(self, power: torch.Tensor, log_energy: Optional[torch.Tensor],
                    vtln_warp: float) -> torch.Tensor:
        opts = self.opts
        dev = power.device
        weights = self.constant(f"mel{vtln_warp}", dev,
                                lambda: mel_banks(opts.mel, self.frame, vtln_warp)[0])
        mel = torch.log(torch.clamp(power @ weights, min=FLOAT_EPS))
        feats = mel @ self.constant("dct", dev, self._dct)
        if opts.use_energy:
            feats[:, 0] = self.floor_energy(log_energy)
        if opts.htk_compat:
            c0 = feats[:, :1] if opts.use_energy else feats[:, :1] * math.sqrt(2.0)
            feats = torch.cat([feats[:, 1:], c0], dim=1)
        return feats
