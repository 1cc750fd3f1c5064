"""Reading audio named by ``wav.scp`` entries, with ``segments``, resampling and speed change.

A ``wav.scp`` value is either a file path (any format soundfile reads; m4a/aac/mp4 are
decoded through ffmpeg) or a command ending in ``|`` whose standard output is an audio file
(Kaldi's pipe convention, e.g. ``sox x.flac -t wav - |``). Audio comes back as float32
in [-1, 1], first channel of multi-channel files (Kaldi's ``--channel=0``), resampled to the
requested rate.

Example:
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.wav")
    >>> sf.write(p, np.zeros(8000, dtype="float32"), 8000)
    >>> wav, sr = read_audio(p, sample_rate=16000)
    >>> wav.shape, sr
    ((16000,), 16000)
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
from fractions import Fraction
from math import gcd
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

#: Extensions soundfile cannot read; they are decoded with ffmpeg.
FFMPEG_EXTENSIONS = (".m4a", ".aac", ".mp4", ".opus", ".webm", ".wma")


class AudioError(RuntimeError):
    """Audio could not be read; the message names the entry (path or command)."""


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of an ffmpeg binary: the one on PATH, else the one imageio-ffmpeg ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise AudioError(
            "ffmpeg is needed for m4a/aac audio: install ffmpeg or imageio-ffmpeg"
        ) from e
    return imageio_ffmpeg.get_ffmpeg_exe()


def resample(wav: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample with a polyphase filter (scipy ``resample_poly``); identity if rates match.

    Example:
        >>> resample(np.ones(100, dtype=np.float32), 8000, 16000).shape
        (200,)
    """
    if orig_sr == target_sr:
        return wav
    from scipy.signal import resample_poly

    g = gcd(int(orig_sr), int(target_sr))
    out = resample_poly(wav, int(target_sr) // g, int(orig_sr) // g, axis=0)
    return out.astype(np.float32, copy=False)


def decode_bytes(data: bytes, what: str) -> Tuple[np.ndarray, int]:
    """(first channel as float32, rate) of an audio file held in ``data``.

    Raises:
        AudioError: undecodable bytes, naming ``what`` (the command or file they came from).
    """
    import soundfile as sf

    try:
        wav, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises its own LibsndfileError / RuntimeError
        raise AudioError(f"{what}: could not decode audio ({e})") from None
    return wav[:, 0], sr


def _run_pipe(cmd: str) -> bytes:
    proc = subprocess.run(cmd, shell=True, capture_output=True)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError(
            f"command '{cmd}' failed with exit code {proc.returncode}"
            + (f": {err[-1]}" if err else "")
        )
    return proc.stdout


#: The module of the speed-perturbation pipe ``python -m <module> <factor> <path> |``
#: (``Process_Data.data_ops.speed`` writes such entries; the audio is ``speed_change``).
SPEED_PERTURB_MODULE = "Process_Data.bin.speed_perturb"

#: ``python -m <module> ... |`` pipes computed in this process: module -> reader.
_PIPE_READERS: Dict[str, Callable[[str, List[str]], Optional[Tuple[np.ndarray, int]]]] = {}


def register_pipe_reader(
    module: str, reader: Callable[[str, List[str]], Optional[Tuple[np.ndarray, int]]]
) -> None:
    """Compute ``python -m <module> ... |`` entries in-process with ``reader``.

    The recipe's own audio commands (speed perturbation here, offline-augmentation
    descriptors in ``Process_Data.augment.descriptor``) give the same samples in-process
    as through the pipe, without a Python start per utterance. A higher layer registers its
    reader when it is imported, so this module never imports it; an entry whose module has
    no reader runs as the command it is, with the same result.

    Args:
        module: the ``-m`` module of the command.
        reader: ``reader(entry, words)`` -> (samples, rate), or None to run the command;
            ``words`` are the shell words after ``python -m <module>``.
    """
    _PIPE_READERS[module] = reader


def _read_in_process(entry: str) -> Optional[Tuple[np.ndarray, int]]:
    """(samples, rate) of a registered ``python -m <module> ... |`` entry; None otherwise."""
    import shlex

    try:
        words = shlex.split(entry[:-1])
    except ValueError:
        return None
    if len(words) < 3 or Path(words[0]).name not in ("python", "python3") or words[1] != "-m":
        return None
    reader = _PIPE_READERS.get(words[2])
    return None if reader is None else reader(entry, words[3:])


def speed_change(wav: np.ndarray, factor: float) -> np.ndarray:
    """Play ``wav`` ``factor`` times faster at the same rate (sox ``speed``).

    Tempo and pitch change together: the output has ``len(wav) / factor`` samples, made by
    polyphase resampling with the factor as a fraction (denominator at most 1000). This is
    the one speed change of the recipe: speed-perturbed data dirs, their pipes and online
    augmentation all call it.

    Raises:
        AudioError: a factor that is not > 0.

    Example:
        >>> speed_change(np.zeros(1100, np.float32), 1.1).shape
        (1000,)
    """
    if not factor > 0:
        raise AudioError(f"speed factor must be > 0, got {factor}")
    if factor == 1.0:
        return np.array(wav, dtype=np.float32)
    frac = Fraction(float(factor)).limit_denominator(1000)
    # The samples, taken as recorded at rate f, brought back to rate 1.
    return resample(np.asarray(wav, np.float64), frac.numerator, frac.denominator)


def _read_speed_pipe(entry: str, words: List[str]) -> Optional[Tuple[np.ndarray, int]]:
    """``python -m Process_Data.bin.speed_perturb <factor> <path> |`` in-process."""
    if len(words) != 2 or words[1] == "-":
        return None  # audio from stdin: the command has to run
    wav, sr = read_audio(words[1])
    try:
        factor = float(words[0])
    except ValueError:
        raise AudioError(f"{entry}: speed factor '{words[0]}' is not a number") from None
    return speed_change(wav, factor), sr


register_pipe_reader(SPEED_PERTURB_MODULE, _read_speed_pipe)


def audio_duration(entry: str) -> float:
    """Duration in seconds of one ``wav.scp`` value: the one duration probe of the recipe.

    Plain soundfile paths are probed from their header; pipes and ffmpeg formats are read.

    Raises:
        AudioError: a missing or unreadable file or a failing command, named in the message.

    Example:
        >>> import soundfile as sf, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "d.wav")
        >>> sf.write(p, np.zeros(4000, dtype="float32"), 16000)
        >>> audio_duration(p)
        0.25
    """
    entry = entry.strip()
    if not entry.endswith("|") and Path(entry).suffix.lower() not in FFMPEG_EXTENSIONS:
        import soundfile as sf

        if not os.path.exists(entry):
            raise AudioError(f"audio file not found: {entry}")
        try:
            info = sf.info(entry)
        except Exception as e:  # soundfile raises its own error types
            raise AudioError(f"{entry}: could not read audio header ({e})") from None
        return info.frames / info.samplerate
    wav, sr = read_audio(entry, sample_rate=None)
    return len(wav) / sr


def read_audio(entry: str, sample_rate: Optional[int] = None) -> Tuple[np.ndarray, int]:
    """Read one ``wav.scp`` value.

    Args:
        entry: a path, or a shell command ending in ``|`` writing audio to stdout.
        sample_rate: resample to this rate (None: keep the file's rate).

    Returns:
        (float32 samples in [-1, 1] of the first channel, sample rate).

    Raises:
        AudioError: a missing/unreadable file or failing command, named in the message.
    """
    entry = entry.strip()
    if entry.endswith("|"):
        cmd = entry[:-1].strip()
        done = _read_in_process(entry)
        wav, sr = done if done is not None else decode_bytes(_run_pipe(cmd), f"command '{cmd}'")
    else:
        path = entry
        if not os.path.exists(path):
            raise AudioError(f"audio file not found: {path}")
        if Path(path).suffix.lower() in FFMPEG_EXTENSIONS:
            cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", path, "-f", "wav", "-"]
            proc = subprocess.run(cmd, capture_output=True)
            if proc.returncode != 0:
                raise AudioError(f"{path}: ffmpeg failed: {proc.stderr.decode(errors='replace')}")
            wav, sr = decode_bytes(proc.stdout, path)
        else:
            import soundfile as sf

            try:
                wav, sr = sf.read(path, dtype="float32", always_2d=True)
            except Exception as e:
                raise AudioError(f"{path}: could not read audio ({e})") from None
            wav = wav[:, 0]
    if sample_rate is not None and sr != sample_rate:
        wav, sr = resample(wav, sr, sample_rate), sample_rate
    return np.ascontiguousarray(wav, dtype=np.float32), sr


class AudioReader:
    """Random access to the audio of a data dir's utterances.

    Args:
        wav_scp: path of ``wav.scp`` or a dict recording -> entry.
        segments: path of ``segments`` or a dict utt -> [reco, start, end] (None: the
            utterances are the recordings).
        sample_rate: every utterance comes back at this rate (None: native rate).

    Example:
        >>> import numpy as np, soundfile as sf, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "r.wav")
        >>> sf.write(p, np.zeros(16000, dtype="float32"), 16000)
        >>> reader = AudioReader({"r": p}, segments={"r-seg": ["r", "0.25", "0.75"]})
        >>> reader["r-seg"].shape
        (8000,)
    """

    def __init__(
        self,
        wav_scp: Union[str, os.PathLike, Mapping[str, str]],
        segments: Union[None, str, os.PathLike, Mapping] = None,
        sample_rate: Optional[int] = 16000,
    ):
        from Process_Data.data_dir import read_kv

        self.wav_scp = dict(wav_scp) if isinstance(wav_scp, Mapping) else read_kv(wav_scp)
        if segments is None or isinstance(segments, Mapping):
            self.segments = dict(segments) if segments else None
        else:
            self.segments = read_kv(segments, multi=True)
        self.sample_rate = sample_rate

    def keys(self):
        """Utterance ids in file order."""
        return list(self.segments if self.segments is not None else self.wav_scp)

    def __len__(self) -> int:
        return len(self.keys())

    def __contains__(self, utt: str) -> bool:
        return utt in (self.segments if self.segments is not None else self.wav_scp)

    def read(self, utt: str) -> Tuple[np.ndarray, int]:
        """(samples, rate) of one utterance."""
        if self.segments is None:
            if utt not in self.wav_scp:
                raise KeyError(f"utterance '{utt}' is not in wav.scp")
            return read_audio(self.wav_scp[utt], self.sample_rate)
        if utt not in self.segments:
            raise KeyError(f"utterance '{utt}' is not in segments")
        reco, start, end = self.segments[utt]
        if reco not in self.wav_scp:
            raise KeyError(f"recording '{reco}' of segment '{utt}' is not in wav.scp")
        wav, sr = read_audio(self.wav_scp[reco], self.sample_rate)
        begin = int(round(float(start) * sr))
        stop = len(wav) if float(end) == -1 else int(round(float(end) * sr))
        return wav[begin:stop], sr

    def __getitem__(self, utt: str) -> np.ndarray:
        return self.read(utt)[0]
