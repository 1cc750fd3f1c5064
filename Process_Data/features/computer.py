"""The feature-computer base class and the FEATURES registry.

A computer turns a waveform into a ``[num_frames, dim]`` float32 matrix the way Kaldi's
``compute-<type>-feats`` does: frames are extracted, dithered, DC-removed, the raw log
energy is taken, then pre-emphasis, the window, a real FFT of the padded frame and the
power spectrum; the subclass maps the power spectrum (and log energy) to features. All
frames of an utterance (or of a batch) go through each step together, as torch tensors in
float32 like Kaldi, on CPU or GPU.

Example:
    >>> import numpy as np
    >>> fbank = FEATURES.build("fbank", opts=parse_options("fbank", ["--dither=0"]))
    >>> fbank.compute(np.zeros(16000, np.float32)).shape
    (98, 23)
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, Optional, Tuple

import numpy as np
import torch

from Process_Data.features.options import OPTION_CLASSES, parse_options
from Process_Data.features.preprocess import prepare_waveform
from Process_Data.features.window import extract_frames, num_frames, window_function
from Process_Data.registry import Registry

#: float32 machine epsilon: Kaldi's floor before every log.
FLOAT_EPS = float(np.finfo(np.float32).eps)
#: Kaldi reads 16-bit PCM as integer-valued floats; our waveforms are in [-1, 1].
PCM_SCALE = 32768.0


class FeatureComputer:
    """Base class: framing and power spectrum; subclasses implement :meth:`_from_power`.

    Args:
        opts: the options dataclass of this type (default: Kaldi's defaults).
    """

    kind = ""
    #: frames per block on CPU (a block's FFT buffers stay in cache).
    cpu_block = 512

    def __init__(self, opts: Optional[Any] = None):
        self.opts = opts if opts is not None else OPTION_CLASSES[self.kind]()
        self.opts.frame.check()
        self.frame = self.opts.frame
        self._window = torch.from_numpy(window_function(self.frame))
        self._cache: Dict[Tuple, Any] = {}

    @classmethod
    def from_args(cls, args: Iterable[str] = (), config: Optional[str] = None) -> FeatureComputer:
        """Build from Kaldi ``--name=value`` args and an optional option file."""
        return cls(parse_options(cls.kind, args, config))

    @property
    def dim(self) -> int:
        """Feature dimension."""
        raise NotImplementedError

    @property
    def needs_energy(self) -> bool:
        """Whether the log energy of each frame is part of the output."""
        return bool(getattr(self.opts, "use_energy", False))

    @property
    def vtln_warp(self) -> float:
        """The configured VTLN warp factor (1.0 when the type has none)."""
        return float(getattr(self.opts, "vtln_warp", 1.0))

    def num_frames(self, num_samples: int) -> int:
        """Frames produced for ``num_samples`` samples at the configured rate."""
        return num_frames(num_samples, self.frame)

    def constant(self, name: str, device: torch.device, build) -> torch.Tensor:
        """A cached float32 tensor on ``device`` built once by ``build()`` (a numpy array)."""
        key = (name, str(device))
        if key not in self._cache:
            self._cache[key] = torch.as_tensor(np.array(build()), dtype=torch.float32,
                                               device=device)
        return self._cache[key]

    def _log_energy(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.clamp((x * x).sum(dim=1), min=FLOAT_EPS))

    def floor_energy(self, log_energy: torch.Tensor) -> torch.Tensor:
        """Apply ``--energy-floor`` (a floor on the energy, so ``log(floor)`` on the log)."""
        floor = getattr(self.opts, "energy_floor", 0.0)
        if floor > 0.0:
            return torch.clamp(log_energy, min=math.log(floor))
        return log_energy

    def windowed(self, frames: torch.Tensor, noise: Optional[torch.Tensor] = None
                 ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Frames after dither, DC removal, pre-emphasis and window, and the log energy.

        Args:
            frames: ``[N, window_size]`` frames, in Kaldi's integer-valued sample scale.
            noise: standard-normal dither noise of the same shape (None: no dither).

        Returns:
            ``(windowed frames [N, window_size], log_energy [N] or None)``; the energy is
            taken before pre-emphasis with ``--raw-energy`` (Kaldi's default), else after
            the window, and only when the type needs it.
        """
        opts = self.frame
        x = frames.to(torch.float32)
        if noise is not None and opts.dither != 0.0:
            x = x + opts.dither * noise.to(device=x.device, dtype=torch.float32)
        if opts.remove_dc_offset:
            x = x - x.mean(dim=1, keepdim=True)
        energy = None
        raw = getattr(self.opts, "raw_energy", True)
        if self.needs_energy and raw:
            energy = self._log_energy(x)
        window = self._window.to(x.device) if self._window.device != x.device else self._window
        c = opts.preemphasis_coefficient
        if c != 0.0:
            y = torch.empty_like(x)
            torch.sub(x[:, 1:], x[:, :-1], alpha=c, out=y[:, 1:])
            y[:, 0] = x[:, 0] - c * x[:, 0]
            y.mul_(window)
        else:
            y = x * window
        if self.needs_energy and not raw:
            energy = self._log_energy(y)
        return y, energy

    def power_spectrum(self, frames: torch.Tensor, noise: Optional[torch.Tensor] = None
                       ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Power spectrum of each frame (``[N, padded // 2 + 1]``) and the log energy."""
        y, energy = self.windowed(frames, noise)
        spec = torch.fft.rfft(y, n=self.frame.padded_window_size)
        power = spec.real.square() + spec.imag.square()
        return power, energy

    def _from_power(self, power: torch.Tensor, log_energy: Optional[torch.Tensor],
                    vtln_warp: float) -> torch.Tensor:
        raise NotImplementedError

    def features_from_frames(self, frames: torch.Tensor, noise: Optional[torch.Tensor] = None,
                             vtln_warp: Optional[float] = None) -> torch.Tensor:
        """Features of a ``[N, window_size]`` frame matrix (rows may come from many utterances).

        On CPU the rows go through in blocks of :attr:`cpu_block` frames so that every
        step works in cache; on a GPU all at once.
        """
        warp = self.vtln_warp if vtln_warp is None else float(vtln_warp)
        n = frames.shape[0]
        if n == 0:
            return frames.new_zeros((0, self.dim), dtype=torch.float32)
        block = n if frames.device.type != "cpu" else self.cpu_block
        if n <= block:
            power, energy = self.power_spectrum(frames, noise)
            return self._from_power(power, energy, warp)
        out = torch.empty((n, self.dim), dtype=torch.float32, device=frames.device)
        for i in range(0, n, block):
            part_noise = None if noise is None else noise[i:i + block]
            power, energy = self.power_spectrum(frames[i:i + block], part_noise)
            out[i:i + block] = self._from_power(power, energy, warp)
        return out

    def frames_of(self, wave: np.ndarray, sample_rate: Optional[float] = None,
                  device: Optional[torch.device] = None) -> torch.Tensor:
        """Pre-process a [-1, 1] waveform and cut it into frames (Kaldi sample scale)."""
        prepared = prepare_waveform(wave, sample_rate, self.frame)
        tensor = torch.from_numpy(prepared)
        if device is not None:
            tensor = tensor.to(device)
        return extract_frames(tensor * PCM_SCALE, self.frame)

    def dither_noise(self, shape: Tuple[int, int], seed: Optional[int]) -> Optional[torch.Tensor]:
        """Standard-normal noise for dithering, reproducible from ``seed`` (None when off)."""
        if self.frame.dither == 0.0 or shape[0] == 0:
            return None
        gen = torch.Generator().manual_seed(int(self.frame.dither_seed if seed is None else seed))
        return torch.randn(shape, generator=gen, dtype=torch.float32)

    def compute(self, wave: np.ndarray, sample_rate: Optional[float] = None,
                vtln_warp: Optional[float] = None, seed: Optional[int] = None) -> np.ndarray:
        """Features of one utterance.

        Args:
            wave: 1-D float waveform in [-1, 1].
            sample_rate: its rate (None: ``--sample-frequency``).
            vtln_warp: warp factor overriding ``--vtln-warp``.
            seed: dither seed for this utterance (None: ``--dither-seed``).

        Returns:
            ``[num_frames, dim]`` float32 array (zero rows if shorter than one frame).
        """
        with torch.no_grad():
            frames = self.frames_of(wave, sample_rate)
            noise = self.dither_noise(tuple(frames.shape), seed)
            return self.features_from_frames(frames, noise, vtln_warp).numpy()


#: Feature types by name: fbank, mfcc, plp, spectrogram.
FEATURES = Registry("feature", FeatureComputer)
