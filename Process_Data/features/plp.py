"""Perceptual linear prediction cepstra, as Kaldi's ``compute-plp-feats``.

Per frame: mel energies of the power spectrum, equal-loudness weighting, cube-root
(``--compress-factor``) compression, autocorrelation by an inverse DFT of the compressed
spectrum, LPC by Levinson-Durbin, LPC -> cepstrum, lifter; C0 is the log LPC residual
energy, or the frame log energy with ``--use-energy``. All frames are done together.

Example:
    >>> import numpy as np
    >>> from Process_Data.features.options import parse_options
    >>> Plp(parse_options("plp", ["--dither=0"])).compute(np.ones(8000, np.float32)).shape
    (48, 13)
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np
import torch

from Process_Data.features.computer import FEATURES, FeatureComputer
from Process_Data.features.mel import mel_banks
from Process_Data.features.mfcc import lifter_coeffs
from Process_Data.features.options import OptionError

FLOAT_MIN = float(np.finfo(np.float32).tiny)


def equal_loudness(centre_freqs: np.ndarray) -> np.ndarray:
    """Hermansky's equal-loudness weight at each mel bin's centre frequency (Hz).

    Example:
        >>> round(float(equal_loudness(np.array([1000.0]))[0]), 4)
        0.1709
    """
    fsq = np.asarray(centre_freqs, dtype=np.float64) ** 2
    fsub = fsq / (fsq + 1.6e5)
    return fsub * fsub * ((fsq + 1.44e6) / (fsq + 9.61e6))


def idft_bases(n_bases: int, dimension: int) -> np.ndarray:
    """Cosine bases turning a (duplicated-edge) spectrum into autocorrelation coefficients."""
    angle = math.pi / (dimension - 1)
    scale = 1.0 / (2.0 * (dimension - 1))
    i = np.arange(n_bases, dtype=np.float64)[:, None]
    j = np.arange(dimension, dtype=np.float64)[None, :]
    m = 2.0 * scale * np.cos(angle * i * j)
    m[:, 0] = scale
    m[:, -1] = scale * np.cos(angle * i[:, 0] * (dimension - 1))
    return m


def durbin(autocorr: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Levinson-Durbin recursion for every row of ``autocorr`` ``[N, order + 1]``.

    Returns:
        ``(lpc [N, order], residual_energy [N])`` with Kaldi's sign convention and its
        floor of 1e-5 on ``1 - k^2`` (keeps constant signals finite).
    """
    n = autocorr.shape[1] - 1
    energy = autocorr[:, 0].clone()
    lpc = autocorr.new_zeros((autocorr.shape[0], n))
    for i in range(n):
        k = autocorr[:, i + 1].clone()
        if i:
            k = k + (lpc[:, :i] * autocorr[:, 1:i + 1].flip(1)).sum(dim=1)
        k = k / energy
        energy = energy * torch.clamp(1.0 - k * k, min=1.0e-5)
        if i:
            lpc[:, :i] = lpc[:, :i] - k[:, None] * lpc[:, :i].flip(1)
        lpc[:, i] = -k
    return lpc, energy


def lpc_to_cepstrum(lpc: torch.Tensor) -> torch.Tensor:
    """Cepstrum of the all-pole model of each row of ``lpc`` ``[N, order]`` (same size)."""
    n = lpc.shape[1]
    cep = torch.zeros_like(lpc)
    for i in range(n):
        acc = torch.zeros_like(lpc[:, 0])
        for j in range(i):
            acc = acc + (i - j) * lpc[:, j] * cep[:, i - j - 1]
        cep[:, i] = -lpc[:, i] - acc / (i + 1)
    return cep


@FEATURES.register("plp")
class Plp(FeatureComputer):
    """PLP cepstra (``num_ceps`` columns, C0/energy first, last with --htk-compat)."""

    kind = "plp"

    def __init__(self, opts=None):
        super().__init__(opts)
        if self.opts.num_ceps > self.opts.lpc_order + 1:
            raise OptionError(f"--num-ceps {self.opts.num_ceps} cannot exceed "
                              f"--lpc-order + 1 = {self.opts.lpc_order + 1}")

    @property
    def dim(self) -> int:
        """num_ceps."""
        return self.opts.num_ceps

    def _banks(self, vtln_warp: float) -> np.ndarray:
        weights, centres = mel_banks(self.opts.mel, self.frame, vtln_warp)
        return weights * equal_loudness(centres)[None, :].astype(np.float32)

    def _from_power(self, power: torch.Tensor, log_energy: Optional[torch.Tensor],
                    vtln_warp: float) -> torch.Tensor:
        opts = self.opts
        dev = power.device
        nb = opts.mel.num_bins
        mel = power @ self.constant(f"plpmel{vtln_warp}", dev, lambda: self._banks(vtln_warp))
        mel = mel.pow(opts.compress_factor)
        dup = torch.cat([mel[:, :1], mel, mel[:, -1:]], dim=1).to(torch.float64)
        bases = torch.as_tensor(idft_bases(opts.lpc_order + 1, nb + 2), device=dev)
        autocorr = dup @ bases.T
        lpc, residual = durbin(autocorr)
        c0 = torch.log(torch.clamp(residual, min=FLOAT_MIN))
        cep = lpc_to_cepstrum(lpc)
        feats = torch.cat([c0[:, None], cep[:, : opts.num_ceps - 1]], dim=1)
        if opts.cepstral_lifter != 0.0:
            feats = feats * torch.as_tensor(lifter_coeffs(opts.num_ceps, opts.cepstral_lifter),
                                            device=dev)
        if opts.cepstral_scale != 1.0:
            feats = feats * opts.cepstral_scale
        feats = feats.to(torch.float32)
        if opts.use_energy:
            feats[:, 0] = self.floor_energy(log_energy)
        if opts.htk_compat:
            feats = torch.cat([feats[:, 1:], feats[:, :1]], dim=1)
        return feats
