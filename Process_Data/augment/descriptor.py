"""Offline augmentation descriptors: a ``wav.scp`` value that reproduces an augmented signal.

Offline augmentation writes no audio. Each augmented utterance's ``wav.scp`` entry is a
command, with every random choice already made, that prints the augmented audio as a WAV
file (float32 samples) on standard output::

    python -m Process_Data.bin.augment_wav --sample-rate 16000 --seed 1234 \\
        --rir /r/Room001-00001.wav --fg-noise 0.00 15 /m/noise-1.wav \\
        --fg-noise 2.50 5 /m/noise-7.wav --bg-noise 10 /m/music-3.wav -- '<clean entry>' |

``--rir`` reverberates first (``reverberate.reverberate``, normalised), then the noises are
added with the SNR rule of ``add_noise`` against the power of the (reverberated) signal:
``--fg-noise START SNR PATH`` places a noise at START seconds; ``--bg-noise SNR PATH`` tiles a
noise over the whole utterance from an offset drawn from ``--seed``. Last, ``--channel``
passes the result through a channel (``channel.py``): ``telephone`` (8 kHz round trip),
``telephone-mulaw`` (the same with G.711 mu-law) or ``device`` (gain and EQ drawn from
``--seed``). The clean entry is any ``wav.scp`` value (a path or a ``cmd |`` pipe), quoted as
one shell word.

``render`` runs the same computation in-process. Importing this module registers it with
``Process_Data.audio.register_pipe_reader``, so ``read_audio`` computes a descriptor
in-process instead of starting a Python per utterance (same samples as the pipe).

Example:
    >>> plan = AugmentPlan(fg=[(0.0, 10.0, "/n.wav")], seed=3)
    >>> entry = to_entry(plan, "/c.flac")
    >>> entry
    'python -m Process_Data.bin.augment_wav --sample-rate 16000 --seed 3 --fg-noise 0.000 10 /n.wav -- /c.flac |'
    >>> parse_entry(entry) == (plan, "/c.flac")
    True
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from Process_Data.audio import read_audio, register_pipe_reader

MODULE = "Process_Data.bin.augment_wav"
CHANNELS = ("telephone", "telephone-mulaw", "device")


@dataclass
class AugmentPlan:
    """Every choice of one offline augmentation.

    Attributes:
        rir: RIR file path, or None.
        fg: foreground noises ``(start_seconds, snr_db, path)``.
        bg: background noises ``(snr_db, path)``.
        seed: seeds the background offsets and the device channel.
        sample_rate: output rate (the clean audio, RIR and noises are resampled to it).
        channel: one of ``CHANNELS`` applied last, or None.
    """

    rir: Optional[str] = None
    fg: List[Tuple[float, float, str]] = field(default_factory=list)
    bg: List[Tuple[float, str]] = field(default_factory=list)
    seed: int = 0
    sample_rate: int = 16000
    channel: Optional[str] = None


def _num(v: float) -> str:
    return f"{v:g}"


def to_args(plan: AugmentPlan) -> List[str]:
    """Command-line arguments of ``augment_wav`` for ``plan`` (without the clean entry)."""
    args = ["--sample-rate", str(plan.sample_rate), "--seed", str(plan.seed)]
    if plan.rir:
        args += ["--rir", plan.rir]
    for start, snr, path in plan.fg:
        args += ["--fg-noise", f"{start:.3f}", _num(snr), path]
    for snr, path in plan.bg:
        args += ["--bg-noise", _num(snr), path]
    if plan.channel:
        args += ["--channel", plan.channel]
    return args


def to_entry(plan: AugmentPlan, clean_entry: str, python: str = "python") -> str:
    """The ``wav.scp`` value reproducing ``plan`` applied to ``clean_entry``."""
    words = [python, "-m", MODULE, *to_args(plan), "--", clean_entry.strip()]
    return " ".join(shlex.quote(w) for w in words) + " |"


def arg_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m Process_Data.bin.augment_wav``."""
    p = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description="Write one augmented utterance as a WAV file (float32) on stdout.",
        epilog=f"Example: python -m {MODULE} --seed 1 --bg-noise 10 music.wav -- clean.flac > aug.wav",
    )
    p.add_argument("--sample-rate", type=int, default=16000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rir", default=None, help="RIR file (applied before the noises)")
    p.add_argument("--fg-noise", nargs=3, action="append", default=[],
                   metavar=("START", "SNR", "PATH"), help="foreground noise at START seconds")
    p.add_argument("--bg-noise", nargs=2, action="append", default=[],
                   metavar=("SNR", "PATH"), help="background noise over the whole utterance")
    p.add_argument("--channel", choices=CHANNELS, default=None,
                   help="channel applied last (telephone band, with mu-law, or device EQ)")
    p.add_argument("clean_entry", help="wav.scp value of the clean utterance (one word)")
    return p


def plan_from_args(ns: argparse.Namespace) -> AugmentPlan:
    """The plan held by parsed ``augment_wav`` arguments."""
    return AugmentPlan(
        rir=ns.rir,
        fg=[(float(t), float(s), p) for t, s, p in ns.fg_noise],
        bg=[(float(s), p) for s, p in ns.bg_noise],
        seed=ns.seed,
        sample_rate=ns.sample_rate,
        channel=ns.channel,
    )


def parse_entry(entry: str) -> Optional[Tuple[AugmentPlan, str]]:
    """``(plan, clean_entry)`` of a descriptor, or None for any other ``wav.scp`` value."""
    entry = entry.strip()
    if not entry.endswith("|") or MODULE not in entry:
        return None
    try:
        words = shlex.split(entry[:-1])
    except ValueError:
        return None
    if len(words) < 3 or words[1:3] != ["-m", MODULE]:
        return None
    ns = arg_parser().parse_args(words[3:])
    return plan_from_args(ns), ns.clean_entry


def render(plan: AugmentPlan, wav: np.ndarray) -> np.ndarray:
    """Apply ``plan`` to clean samples (at ``plan.sample_rate``); float32 output."""
    from Process_Data.augment.add_noise import mix, power, tile
    from Process_Data.augment.reverberate import reverberate

    sr = plan.sample_rate
    x = np.asarray(wav, dtype=np.float32)
    if plan.rir:
        x = reverberate(x, read_audio(plan.rir, sr)[0])
    rng = np.random.default_rng(plan.seed)
    events = []
    for start, snr, path in plan.fg:
        events.append((int(round(start * sr)), read_audio(path, sr)[0], snr))
    for snr, path in plan.bg:
        noise = read_audio(path, sr)[0]
        events.append((0, tile(noise, len(x), int(rng.integers(len(noise)))), snr))
    if events:
        x = mix(x, events, power(x))
    if plan.channel:
        from Process_Data.augment.channel import Device, Telephone

        if plan.channel == "device":
            x = Device(sample_rate=sr)(x, rng)
        else:
            mulaw = 1.0 if plan.channel == "telephone-mulaw" else 0.0
            x = Telephone(mulaw_prob=mulaw, sample_rate=sr)(x, rng)
    return x


def _read_descriptor(entry: str, words: List[str]) -> Optional[Tuple[np.ndarray, int]]:
    """(samples, rate) of a descriptor entry, computed in-process (``read_audio``'s hook)."""
    parsed = parse_entry(entry)
    if parsed is None:
        return None
    plan, clean = parsed
    return render(plan, read_audio(clean, plan.sample_rate)[0]), plan.sample_rate


register_pipe_reader(MODULE, _read_descriptor)


def read_entry(entry: str, sample_rate: int = 16000) -> np.ndarray:
    """Samples of any ``wav.scp`` value at ``sample_rate``, descriptors computed in-process."""
    return read_audio(entry, sample_rate)[0]
