"""The front end as plain tensor operations, for export: waveform ``[B, S]`` -> model input.

:class:`WaveFrontend` computes the same frames as :class:`Process_Data.features.frontend.Frontend`
(Kaldi framing with reflection at the ends, DC removal, log energy, pre-emphasis, window,
power spectrum, mel filterbank, log, DCT for MFCC, then CMN) with operations that
TorchScript and ONNX both carry: the real FFT is a matrix product with precomputed cosine
and sine bases (``torch.fft`` has no ONNX form in every opset), the frames are one gather,
the sliding-CMN windows are cumulative sums in float64.

Scope (anything else is refused by :func:`check_exportable`, naming the option): ``fbank``
and ``mfcc`` features; dither off; no band-pass; CMN ``none``, ``utterance``, ``chunk``
(the whole input, as at test time) or ``sliding``; no VAD (selecting voiced frames gives
each batch row its own length: export such a model with ``--input features``). The input
must be at the front end's sample rate (the JSON sidecar says which).

Example:
    >>> import numpy as np
    >>> from Process_Data.features.frontend import Frontend
    >>> fe = Frontend("fbank", ("--num-mel-bins=40", "--dither=0", "--snip-edges=false"),
    ...               cmn="sliding")
    >>> wave = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    >>> ours = WaveFrontend(fe)(torch.from_numpy(wave)[None])[0].numpy()
    >>> ours.shape, float(np.abs(ours - fe.from_audio(wave, 16000)).max()) < 1e-3
    ((100, 40), True)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from Process_Data.features.computer import FLOAT_EPS, PCM_SCALE
from Process_Data.features.frontend import Frontend, FrontendError
from Process_Data.features.mel import mel_banks


def check_exportable(frontend: Frontend) -> None:
    """Raise FrontendError naming what :class:`WaveFrontend` cannot compute."""
    if frontend.feature not in ("fbank", "mfcc"):
        raise FrontendError(
            f"waveform export supports fbank and mfcc features, not "
            f"'{frontend.feature or 'unknown'}'; export with --input features"
        )
    opts = frontend.options
    if opts.frame.band_pass_low > 0 or opts.frame.band_pass_high != 0:
        raise FrontendError(
            "waveform export: --band-pass-low/--band-pass-high are not "
            "supported; export with --input features"
        )
    if frontend.vad:
        raise FrontendError(
            "waveform export: a front end with VAD gives each batch row its "
            "own length; export with --input features (and apply the VAD "
            "outside)"
        )


class WaveFrontend(nn.Module):
    """Waveforms ``[B, S]`` in [-1, 1] at the front end's rate -> ``[B, frames, dim]``.

    Dither is off whatever the options say (a traced graph cannot hold the eager front
    end's seeded noise generator; :mod:`TrainAndTest.inference.export` says what follows).

    Args:
        frontend: the model's front end (see :func:`check_exportable`).
    """

    def __init__(self, frontend: Frontend):
        super().__init__()
        check_exportable(frontend)
        comp = frontend.computer
        opts, frame = comp.opts, comp.frame
        self.kind = frontend.feature
        self.window_size = int(frame.window_size)
        self.shift = int(frame.window_shift)
        self.snip_edges = bool(frame.snip_edges)
        self.remove_dc = bool(frame.remove_dc_offset)
        self.preemph = float(frame.preemphasis_coefficient)
        self.use_energy = bool(opts.use_energy)
        self.raw_energy = bool(opts.raw_energy)
        self.htk_compat = bool(opts.htk_compat)
        floor = float(opts.energy_floor)
        self.log_energy_floor = math.log(floor) if floor > 0 else -math.inf
        self.use_power = bool(getattr(opts, "use_power", True))
        self.use_log = bool(getattr(opts, "use_log_fbank", True))
        self.cmn = frontend.cmn
        self.cmn_window = int(frontend.cmn_window)
        self.min_cmn_window = min(100, self.cmn_window)
        self.dim = int(comp.dim)

        n_fft = int(frame.padded_window_size)
        bins = n_fft // 2 + 1
        n = np.arange(self.window_size, dtype=np.float64)[:, None]
        k = np.arange(bins, dtype=np.float64)[None, :]
        angle = 2.0 * math.pi * ((n * k) % n_fft) / n_fft
        self.register_buffer("window", comp._window.clone().float())
        self.register_buffer("cos_basis", torch.from_numpy(np.cos(angle).astype(np.float32)))
        self.register_buffer("sin_basis", torch.from_numpy(np.sin(angle).astype(np.float32)))
        mel = mel_banks(opts.mel, frame, comp.vtln_warp)[0]
        self.register_buffer("mel", torch.as_tensor(np.array(mel), dtype=torch.float32))
        if self.kind == "mfcc":
            self.register_buffer("dct", torch.from_numpy(comp._dct()).float())
        else:
            self.register_buffer("dct", torch.zeros(0))

    def frame_indices(self, num_samples: torch.Tensor) -> torch.Tensor:
        """Sample index ``[frames, window]`` of every frame (Kaldi's reflection at the ends)."""
        length, shift = self.window_size, self.shift
        if self.snip_edges:
            count = torch.clamp(
                torch.div(num_samples - length, shift, rounding_mode="floor") + 1, min=0
            )
            starts = torch.arange(count) * shift
        else:
            count = torch.div(num_samples + shift // 2, shift, rounding_mode="floor")
            starts = torch.arange(count) * shift + (shift // 2 - length // 2)
        idx = starts[:, None] + torch.arange(length)[None, :]
        m = torch.remainder(idx, 2 * num_samples)
        return torch.where(m < num_samples, m, 2 * num_samples - 1 - m)

    def _log_energy(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.log(torch.clamp((x * x).sum(dim=-1), min=FLOAT_EPS))
        return torch.clamp(e, min=self.log_energy_floor)

    def features(self, waves: torch.Tensor) -> torch.Tensor:
        """Raw Kaldi features ``[B, frames, dim]`` (before CMN)."""
        x = waves.to(torch.float32) * PCM_SCALE
        num_samples = torch.tensor(x.shape[1])
        frames = x[:, self.frame_indices(num_samples)]  # [B, T, L]
        if self.remove_dc:
            frames = frames - frames.mean(dim=-1, keepdim=True)
        energy = self._log_energy(frames) if self.use_energy and self.raw_energy else None
        if self.preemph != 0.0:
            prev = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
            frames = frames - self.preemph * prev
        frames = frames * self.window
        if self.use_energy and not self.raw_energy:
            energy = self._log_energy(frames)
        re = torch.matmul(frames, self.cos_basis)
        im = torch.matmul(frames, self.sin_basis)
        power = re * re + im * im
        if self.kind == "fbank" and not self.use_power:
            power = torch.sqrt(power)
        mel = torch.matmul(power, self.mel)
        if self.kind == "mfcc" or self.use_log:
            mel = torch.log(torch.clamp(mel, min=FLOAT_EPS))
        if self.kind == "mfcc":
            feats = torch.matmul(mel, self.dct)
            if energy is not None:
                feats = torch.cat([energy[..., None], feats[..., 1:]], dim=-1)
            if self.htk_compat:
                c0 = feats[..., :1] if energy is not None else feats[..., :1] * math.sqrt(2.0)
                feats = torch.cat([feats[..., 1:], c0], dim=-1)
            return feats
        if energy is None:
            return mel
        e = energy[..., None]
        return torch.cat([mel, e] if self.htk_compat else [e, mel], dim=-1)

    def normalise(self, feats: torch.Tensor) -> torch.Tensor:
        """CMN of ``[B, T, D]`` features over each whole row (sliding: Kaldi's centred
        window of ``cmn_window`` frames, shifted at the edges)."""
        if self.cmn in ("utterance", "chunk"):
            mean = feats.to(torch.float64).mean(dim=1, keepdim=True)
            return (feats.to(torch.float64) - mean).to(torch.float32)
        if self.cmn != "sliding":
            return feats
        T = torch.tensor(feats.shape[1])
        t = torch.arange(feats.shape[1])
        start = t - self.cmn_window // 2
        end = start + self.cmn_window
        shift = torch.clamp(-start, min=0)
        start, end = start + shift, end + shift
        over = torch.clamp(end - T, min=0)
        start = torch.clamp(start - over, min=0)
        end = end - over
        x = feats.to(torch.float64)
        csum = torch.cat([torch.zeros_like(x[:, :1]), torch.cumsum(x, dim=1)], dim=1)
        count = (end - start).to(torch.float64)[None, :, None]
        mean = (csum[:, end] - csum[:, start]) / count
        return (x - mean).to(torch.float32)

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        """Model input ``[B, frames, dim]`` of ``waves`` ``[B, S]`` (equal lengths)."""
        return self.normalise(self.features(waves))
