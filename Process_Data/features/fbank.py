"""Log mel filterbank features, as Kaldi's ``compute-fbank-feats``.

Example:
    >>> import numpy as np
    >>> from Process_Data.features.options import parse_options
    >>> Fbank(parse_options("fbank", ["--num-mel-bins=80", "--use-energy=true"])).dim
    81
"""

from __future__ import annotations

from typing import Optional

import torch

from Process_Data.features.computer import FEATURES, FLOAT_EPS, FeatureComputer
from Process_Data.features.mel import mel_banks


@FEATURES.register("fbank")
class Fbank(FeatureComputer):
    """Mel energies of the power (or magnitude) spectrum, log by default.

    With ``--use-energy`` the log energy is column 0, or the last column with
    ``--htk-compat``.
    """

    kind = "fbank"

    @property
    def dim(self) -> int:
        """num_mel_bins, plus one with --use-energy."""
        return self.opts.mel.num_bins + int(self.opts.use_energy)

    def mel_weights(self, device: torch.device, vtln_warp: float) -> torch.Tensor:
        """The ``[fft_bins, num_bins]`` filterbank matrix on ``device``."""
        return self.constant(f"mel{vtln_warp}", device,
                             lambda: mel_banks(self.opts.mel, self.frame, vtln_warp)[0])

    def _from_power(self, power: torch.Tensor, log_energy: Optional[torch.Tensor],
                    vtln_warp: float) -> torch.Tensor:
        opts = self.opts
        if not opts.use_power:
            power = power.sqrt()
        mel = power @ self.mel_weights(power.device, vtln_warp)
        if opts.use_log_fbank:
            mel = torch.log(torch.clamp(mel, min=FLOAT_EPS))
        if not opts.use_energy:
            return mel
        energy = self.floor_energy(log_energy)[:, None]
        return torch.cat([mel, energy] if opts.htk_compat else [energy, mel], dim=1)
