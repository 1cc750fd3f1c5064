"""Kaldi feature options: dataclasses, ``--name=value`` parsing and option files.

Option names and defaults are Kaldi's (``compute-fbank-feats --help`` and friends):
``FrameOptions`` holds framing/pre-processing, ``MelOptions`` the mel filterbank, and each
feature type has its own dataclass (``FbankOptions``, ``MfccOptions``, ``PlpOptions``,
``SpectrogramOptions``) that embeds both. A command line or an option file (one
``--name=value`` per line, ``#`` comments) sets fields by their Kaldi name, hyphens for
underscores; an unknown name or a malformed value is an error naming the file and line.

Example:
    >>> opts = parse_options("fbank", ["--num-mel-bins=40", "--dither=0"])
    >>> opts.mel.num_bins, opts.frame.dither, opts.frame.snip_edges
    (40, 0.0, True)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

WINDOW_TYPES = ("povey", "hamming", "hanning", "rectangular", "blackman", "sine")


class OptionError(ValueError):
    """A bad option: unknown name, malformed line or value; the message says where."""


@dataclass
class FrameOptions:
    """Frame extraction and waveform pre-processing (Kaldi ``FrameExtractionOptions``).

    Lengths are in milliseconds, frequencies in Hz. ``band_pass_low``/``band_pass_high``
    (0 = off; a negative high edge is an offset from Nyquist) add a zero-phase Butterworth
    filter of order ``band_pass_order`` before framing; ``dither_seed`` makes dithering
    reproducible. Audio at another rate than ``sample_frequency`` is resampled when
    ``allow_downsample``/``allow_upsample`` permit it, else rejected (Kaldi semantics).
    """

    sample_frequency: float = 16000.0
    frame_length: float = 25.0
    frame_shift: float = 10.0
    dither: float = 1.0
    dither_seed: int = 0
    preemphasis_coefficient: float = 0.97
    remove_dc_offset: bool = True
    window_type: str = "povey"
    blackman_coeff: float = 0.42
    snip_edges: bool = True
    round_to_power_of_two: bool = True
    allow_downsample: bool = False
    allow_upsample: bool = False
    band_pass_low: float = 0.0
    band_pass_high: float = 0.0
    band_pass_order: int = 4

    @property
    def window_shift(self) -> int:
        """Frame shift in samples (Kaldi truncates, it does not round)."""
        return int(self.sample_frequency * 0.001 * self.frame_shift)

    @property
    def window_size(self) -> int:
        """Frame length in samples."""
        return int(self.sample_frequency * 0.001 * self.frame_length)

    @property
    def padded_window_size(self) -> int:
        """FFT size: the frame length, rounded up to a power of two if asked."""
        n = self.window_size
        if not self.round_to_power_of_two:
            return n
        return 1 << max(0, (n - 1).bit_length())

    def check(self) -> None:
        """Raise OptionError on inconsistent values."""
        if self.window_type not in WINDOW_TYPES:
            raise OptionError(
                f"--window-type: '{self.window_type}' is not one of {', '.join(WINDOW_TYPES)}"
            )
        if self.window_shift <= 0 or self.window_size < 2:
            raise OptionError(
                f"--frame-shift {self.frame_shift} / --frame-length {self.frame_length} ms give "
                f"{self.window_shift} / {self.window_size} samples at {self.sample_frequency} Hz"
            )
        if self.padded_window_size % 2:
            raise OptionError(
                f"the FFT size {self.padded_window_size} must be even; use "
                "--round-to-power-of-two true or an even frame length in samples"
            )
        if self.dither < 0:
            raise OptionError(f"--dither must be >= 0, got {self.dither}")
        nyq = 0.5 * self.sample_frequency
        high = self.band_pass_high + nyq if self.band_pass_high < 0 else self.band_pass_high
        if self.band_pass_low < 0 or self.band_pass_low >= nyq or high >= nyq or (
            high and high <= self.band_pass_low
        ):
            raise OptionError(
                f"--band-pass-low {self.band_pass_low} / --band-pass-high {self.band_pass_high}"
                f" do not make a band below Nyquist {nyq}"
            )
        if self.band_pass_order < 1:
            raise OptionError(f"--band-pass-order must be >= 1, got {self.band_pass_order}")


@dataclass
class MelOptions:
    """Mel filterbank (Kaldi ``MelBanksOptions``); ``high_freq <= 0`` is an offset from Nyquist.

    ``htk_mode`` reproduces HTK's choices (used by the HTK comparison tests).
    """

    num_bins: int = 25
    low_freq: float = 20.0
    high_freq: float = 0.0
    vtln_low: float = 100.0
    vtln_high: float = -500.0
    htk_mode: bool = False


@dataclass
class FbankOptions:
    """compute-fbank-feats options (23 mel bins by default)."""

    frame: FrameOptions = field(default_factory=FrameOptions)
    mel: MelOptions = field(default_factory=lambda: MelOptions(num_bins=23))
    use_energy: bool = False
    energy_floor: float = 0.0
    raw_energy: bool = True
    htk_compat: bool = False
    use_log_fbank: bool = True
    use_power: bool = True
    vtln_warp: float = 1.0


@dataclass
class MfccOptions:
    """compute-mfcc-feats options (13 cepstra from 23 mel bins by default)."""

    frame: FrameOptions = field(default_factory=FrameOptions)
    mel: MelOptions = field(default_factory=lambda: MelOptions(num_bins=23))
    num_ceps: int = 13
    use_energy: bool = True
    energy_floor: float = 0.0
    raw_energy: bool = True
    cepstral_lifter: float = 22.0
    htk_compat: bool = False
    vtln_warp: float = 1.0


@dataclass
class PlpOptions:
    """compute-plp-feats options (LPC order 12, 13 cepstra, 23 mel bins by default)."""

    frame: FrameOptions = field(default_factory=FrameOptions)
    mel: MelOptions = field(default_factory=lambda: MelOptions(num_bins=23))
    lpc_order: int = 12
    num_ceps: int = 13
    use_energy: bool = True
    energy_floor: float = 0.0
    raw_energy: bool = True
    compress_factor: float = 0.33333
    cepstral_lifter: float = 22.0
    cepstral_scale: float = 1.0
    htk_compat: bool = False
    vtln_warp: float = 1.0


@dataclass
class SpectrogramOptions:
    """compute-spectrogram-feats options: log power spectrum, bin 0 replaced by log energy."""

    frame: FrameOptions = field(default_factory=FrameOptions)
    energy_floor: float = 0.0
    raw_energy: bool = True
    return_raw_fft: bool = False


OPTION_CLASSES = {
    "fbank": FbankOptions,
    "mfcc": MfccOptions,
    "plp": PlpOptions,
    "spectrogram": SpectrogramOptions,
}

# Kaldi names that differ from "field name with hyphens".
_ALIASES = {"num-mel-bins": ("mel", "num_bins"), "preemphasis-coefficient":
            ("frame", "preemphasis_coefficient"), "sample-frequency": ("frame",
            "sample_frequency")}
# Options Kaldi binaries accept that do not change the numbers we compute here.
_IGNORED = {"verbose", "debug-mel", "max-feature-vectors", "output-format", "channel"}

_TRUE = {"true", "t", "1", ""}
_FALSE = {"false", "f", "0"}


def _option_table(opts: Any) -> Dict[str, Tuple[Any, str]]:
    """Map every Kaldi option name to (object holding the field, field name)."""
    table: Dict[str, Tuple[Any, str]] = {}
    for f in dataclasses.fields(opts):
        value = getattr(opts, f.name)
        if dataclasses.is_dataclass(value):
            for sub in dataclasses.fields(value):
                name = sub.name.replace("_", "-")
                if f.name == "mel" and sub.name == "num_bins":
                    continue  # Kaldi calls it --num-mel-bins
                table[name] = (value, sub.name)
        else:
            table[f.name.replace("_", "-")] = (opts, f.name)
    for alias, (holder, name) in _ALIASES.items():
        if hasattr(opts, holder):
            table[alias] = (getattr(opts, holder), name)
    return table


def _convert(value: str, current: Any, name: str) -> Any:
    """Convert the text ``value`` to the type of ``current``; OptionError when it does not fit."""
    if isinstance(current, bool):
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise OptionError(f"--{name}: expected true or false, got '{value}'")
    if value == "":
        raise OptionError(f"--{name} needs a value")
    try:
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
    except ValueError:
        kind = "an integer" if isinstance(current, int) else "a number"
        raise OptionError(f"--{name}: expected {kind}, got '{value}'") from None
    return value


def set_option(opts: Any, arg: str) -> None:
    """Apply one ``--name=value`` (or ``--name`` for a true boolean) to ``opts``.

    Raises:
        OptionError: unknown option or a value of the wrong type.
    """
    if not arg.startswith("--"):
        raise OptionError(f"expected --name=value, got '{arg}'")
    name, eq, value = arg[2:].partition("=")
    name = name.strip().replace("_", "-")
    value = value.strip()
    if name in _IGNORED:
        return
    table = _option_table(opts)
    if name not in table:
        raise OptionError(
            f"unknown option --{name} for {type(opts).__name__}; valid: "
            + " ".join(f"--{n}" for n in sorted(table))
        )
    holder, fname = table[name]
    current = getattr(holder, fname)
    if not eq and not isinstance(current, bool):
        raise OptionError(f"--{name} needs a value (--{name}=VALUE)")
    setattr(holder, fname, _convert(value, current, name))


def read_option_lines(path: Union[str, Path]) -> List[Tuple[int, str]]:
    """(line number, ``--name=value``) pairs of a Kaldi option file; ``#`` starts a comment.

    Raises:
        OptionError: a non-empty line that does not start with ``--``, naming file:line.
    """
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            if not text.startswith("--") or len(text) < 3 or " " in text.partition("=")[0]:
                raise OptionError(f"{path}:{lineno}: malformed line '{line.rstrip()}'; "
                                  "expected --name=value")
            out.append((lineno, text))
    return out


def apply_config(opts: Any, path: Union[str, Path]) -> None:
    """Apply every line of option file ``path`` to ``opts``; errors name file:line."""
    for lineno, text in read_option_lines(path):
        try:
            set_option(opts, text)
        except OptionError as e:
            raise OptionError(f"{path}:{lineno}: {e}") from None


def parse_options(
    kind: str, args: Iterable[str] = (), config: Optional[Union[str, Path]] = None
) -> Any:
    """Options of feature type ``kind`` from an option file, then command-line args.

    ``--config=FILE`` inside ``args`` is read first, so that the other args win.

    Args:
        kind: "fbank", "mfcc", "plp" or "spectrogram".
        args: ``--name=value`` strings.
        config: an option file read before ``args``.

    Returns:
        the filled, checked options dataclass.

    Example:
        >>> parse_options("mfcc", ["--num-ceps=20", "--num-mel-bins=30"]).num_ceps
        20
    """
    if kind not in OPTION_CLASSES:
        raise OptionError(f"unknown feature type '{kind}'; valid: {', '.join(OPTION_CLASSES)}")
    opts = fill_options(OPTION_CLASSES[kind](), args, config)
    opts.frame.check()
    return opts


def fill_options(opts: Any, args: Iterable[str] = (),
                 config: Optional[Union[str, Path]] = None) -> Any:
    """Set fields of the dataclass ``opts`` from an option file, then ``--name=value`` args.

    ``--config=FILE`` inside ``args`` is read first, so that the other args win.

    Example:
        >>> from Process_Data.features.vad import VadOptions
        >>> fill_options(VadOptions(), ["--vad-frames-context=2"]).vad_frames_context
        2
    """
    configs = [config] if config else []
    rest = []
    for a in args:
        if a.startswith("--config="):
            configs.append(a.split("=", 1)[1])
        else:
            rest.append(a)
    for c in configs:
        apply_config(opts, c)
    for a in rest:
        set_option(opts, a)
    return opts
