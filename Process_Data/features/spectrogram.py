"""Log power spectrum, as Kaldi's ``compute-spectrogram-feats``.

Column 0 holds the frame's log energy instead of the DC bin. A 20 ms window at 16 kHz
without power-of-two rounding gives 320 / 2 + 1 = 161 columns.

Example:
    >>> from Process_Data.features.options import parse_options
    >>> args = ["--frame-length=20", "--round-to-power-of-two=false"]
    >>> Spectrogram(parse_options("spectrogram", args)).dim
    161
"""

from __future__ import annotations

from typing import Optional

import torch

from Process_Data.features.computer import FEATURES, FLOAT_EPS, FeatureComputer


@FEATURES.register("spectrogram")
class Spectrogram(FeatureComputer):
    """``log(max(|X_k|^2, eps))`` per FFT bin; ``--return-raw-fft`` gives Kaldi's packed FFT."""

    kind = "spectrogram"

    @property
    def needs_energy(self) -> bool:
        """The energy replaces bin 0, so it is always computed."""
        return True

    @property
    def dim(self) -> int:
        """FFT size / 2 + 1 (FFT size with --return-raw-fft)."""
        n = self.frame.padded_window_size
        return n if self.opts.return_raw_fft else n // 2 + 1

    def features_from_frames(self, frames, noise=None, vtln_warp=None):
        """Features of a frame matrix; see :meth:`FeatureComputer.features_from_frames`."""
        if not self.opts.return_raw_fft or frames.shape[0] == 0:
            return super().features_from_frames(frames, noise, vtln_warp)
        # Kaldi's packed real FFT: re(0), re(N/2), re(1), im(1), re(2), im(2), ...
        n = self.frame.padded_window_size
        windowed, _ = self.windowed(frames, noise)
        ri = torch.view_as_real(torch.fft.rfft(windowed, n=n))
        out = ri[:, :-1, :].reshape(frames.shape[0], n).clone()
        out[:, 1] = ri[:, -1, 0]
        return out

    def _from_power(self, power: torch.Tensor, log_energy: Optional[torch.Tensor],
                    vtln_warp: float) -> torch.Tensor:
        out = torch.log(torch.clamp(power, min=FLOAT_EPS))
        out[:, 0] = self.floor_energy(log_energy)
        return out

