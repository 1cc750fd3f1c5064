"""The built-in demo corpus: many synthetic speakers made offline with espeak-ng.

Every speaker is a seeded draw of an espeak-ng voice variant and English accent, a base
pitch, pitch range and speaking rate, a vocal-tract length factor (the 22.05 kHz synthesis is
resampled as if it had been recorded at a slightly different rate, which scales all formants
together), a few peaking filters and a spectral tilt (a "formant colouring"). Each of a
speaker's sessions adds its own channel (band limits, an EQ peak, a noise colour), and each
utterance jitters pitch, rate and level and adds noise at 15-40 dB SNR, so that a target trial
across sessions is not trivial. The texts are digit strings and sentences drawn from a word
list in this file.

It is synthetic speech and only a smoke test of the recipe: numbers on it say that the
pipeline runs and learns, not how a model does on real speakers.

Layout (VoxCeleb1): ``<out>/wav/<spk>/<session>/<utt>.wav`` (16 kHz, 16-bit PCM),
``<out>/meta.csv`` (``speaker,gender,corpus,set,utterances``, ``set`` dev or test) and
``<out>/trials/test.txt`` (VoxCeleb1-O format ``1|0 enrol test``, paths relative to
``wav/``). Same options and seed give identical bytes, whatever ``nj``.

espeak-ng keeps synthesis state in globals and is not thread-safe, so each speaker is made
in a fresh worker process (``maxtasksperchild=1``), which also makes the output independent
of how speakers are spread over workers. Its noise generators are seeded per utterance: its
own (breath noise of voices such as f2 or Alicia, otherwise seeded from the clock when the
library starts, which made those speakers differ from run to run) and libc's ``rand()``.

Example:
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "demo")
    >>> info = make_demo_corpus(out, num_speakers=2, utts_per_speaker=1, num_test_speakers=1,
    ...                         nj=1, log=lambda *_: None)
    >>> info["utterances"], sorted(os.listdir(out))
    (2, ['.demo_corpus.json', 'meta.csv', 'speakers.json', 'trials', 'wav'])
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from Process_Data.corpora.trials import make_trials, write_trials

#: espeak-ng's native output rate.
ESPEAK_RATE = 22050
#: Output rate of the corpus.
SAMPLE_RATE = 16000
#: Male-sounding voice variants shipped with espeak-ng (``voices/!v``).
MALE_VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "Andy", "Denis", "Diogo", "Gene",
    "Henrique", "Hugo", "Lee", "Marco", "Mario", "Michael", "Mike", "antonio", "croak",
    "david", "ed", "grandpa", "gustave", "ian", "iven", "john", "klatt", "klatt3", "michel",
    "miguel", "norbert", "pablo", "paul", "pedro", "quincy", "rob", "robert", "sandro",
    "travis", "victor", "Storm",
)  # fmt: skip
#: Female-sounding voice variants.
FEMALE_VARIANTS = (
    "f1", "f2", "f3", "f4", "f5", "Alicia", "Andrea", "Annie", "anika", "aunty", "belinda",
    "grandma", "linda", "shelby", "steph", "steph2", "steph3",
)  # fmt: skip
#: English accents of espeak-ng.
ACCENTS = (
    "en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan",
    "en-gb-x-gbcwmd", "en-us-nyc",
)  # fmt: skip
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ADJECTIVES = (
    "small", "bright", "quiet", "heavy", "green", "early", "strong", "gentle", "broken",
    "golden", "silver", "simple", "cold", "warm", "ancient", "modern", "narrow", "wide",
    "happy", "careful", "empty", "busy", "distant", "hidden", "famous", "rough", "smooth",
    "yellow", "purple", "tired",
)  # fmt: skip
NOUNS = (
    "river", "garden", "teacher", "window", "engine", "market", "doctor", "letter", "bridge",
    "village", "station", "kitchen", "mountain", "captain", "picture", "morning", "forest",
    "island", "farmer", "bottle", "signal", "planet", "pocket", "ladder", "museum", "basket",
    "tunnel", "violin", "harbour", "blanket", "company", "machine", "weather", "journey",
    "student", "dinner", "orange", "window", "paper", "stone",
)  # fmt: skip
VERBS = (
    "carried", "painted", "watched", "followed", "opened", "covered", "visited", "reached",
    "measured", "answered", "borrowed", "cleaned", "described", "finished", "gathered",
    "noticed", "ordered", "pulled", "repaired", "moved", "counted", "found", "wanted",
    "remembered",
)  # fmt: skip
ADVERBS = (
    "slowly", "yesterday", "again", "tonight", "quickly", "together", "at noon", "twice",
    "without a word", "before the rain", "after lunch", "near the door", "in the evening",
)  # fmt: skip


@dataclass(frozen=True)
class Channel:
    """A session's recording channel: band limits, an EQ peak and noise colour/level."""

    highpass_hz: float
    lowpass_hz: float
    eq_hz: float
    eq_gain_db: float
    noise_tilt: float
    snr_db: float


@dataclass(frozen=True)
class SpeakerProfile:
    """Everything that makes one synthetic speaker (drawn by :func:`draw_speakers`).

    Attributes:
        name: speaker id (``demo0001``).
        gender: ``m`` or ``f``.
        voice: espeak-ng voice name, ``<accent>+<variant>``.
        pitch: espeak pitch (0-99).
        pitch_range: espeak pitch range (0-99).
        rate: words per minute.
        warp_down: resampling denominator d: 22050 Hz -> 16 kHz is 320/441, and 320/d scales
            every frequency by d/441 (a vocal-tract length factor).
        formants: (centre Hz, gain dB, Q) of the peaking filters.
        tilt: first-order spectral tilt coefficient (positive: brighter).
        sessions: one channel per session.
    """

    name: str
    gender: str
    voice: str
    pitch: int
    pitch_range: int
    rate: int
    warp_down: int
    formants: Tuple[Tuple[float, float, float], ...]
    tilt: float
    sessions: Tuple[Channel, ...]


def _rng(seed: int, *keys) -> np.random.Generator:
    """A generator seeded from ``seed`` and string keys (stable across runs and platforms)."""
    digest = hashlib.sha256(json.dumps([seed, *keys]).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def draw_speakers(num_speakers: int, seed: int = 0, sessions: Tuple[int, int] = (2, 4)):
    """Draw ``num_speakers`` speaker profiles (deterministic for a seed).

    Args:
        num_speakers: how many speakers.
        seed: random seed.
        sessions: (min, max) sessions per speaker.

    Returns:
        a list of :class:`SpeakerProfile`, named ``demo0001`` ... in order.

    Example:
        >>> [p.name for p in draw_speakers(2)]
        ['demo0001', 'demo0002']
    """
    profiles = []
    for i in range(num_speakers):
        r = _rng(seed, "speaker", i)
        gender = "m" if r.random() < 0.5 else "f"
        variants = MALE_VARIANTS if gender == "m" else FEMALE_VARIANTS
        voice = f"{ACCENTS[r.integers(len(ACCENTS))]}+{variants[r.integers(len(variants))]}"
        formants = tuple(
            (float(r.uniform(lo, hi)), float(r.choice([-1, 1]) * r.uniform(2, 7)),
             float(r.uniform(1.5, 4.0)))
            for lo, hi in ((350, 900), (1000, 2300), (2400, 3800))
        )  # fmt: skip
        chans = tuple(
            Channel(
                highpass_hz=float(r.uniform(60, 250)),
                lowpass_hz=float(r.uniform(3600, 7600)),
                eq_hz=float(np.exp(r.uniform(np.log(200), np.log(6000)))),
                eq_gain_db=float(r.uniform(-5, 5)),
                noise_tilt=float(r.uniform(-0.9, 0.9)),
                snr_db=float(r.uniform(18, 40)),
            )
            for _ in range(int(r.integers(sessions[0], sessions[1] + 1)))
        )
        profiles.append(
            SpeakerProfile(
                name=f"demo{i + 1:04d}",
                gender=gender,
                voice=voice,
                pitch=int(r.integers(20, 80)),
                pitch_range=int(r.integers(15, 90)),
                rate=int(r.integers(135, 215)),
                warp_down=int(r.integers(405, 478)),
                formants=formants,
                tilt=float(r.uniform(-0.5, 0.5)),
                sessions=chans,
            )
        )
    return profiles


def make_text(r: np.random.Generator) -> str:
    """One utterance text: a digit string (4-10 digits) or a sentence from the word lists.

    Example:
        >>> isinstance(make_text(np.random.default_rng(0)), str)
        True
    """
    if r.random() < 0.4:
        return " ".join(DIGITS[d] for d in r.integers(0, 10, size=int(r.integers(4, 11))))
    words = ["the", str(r.choice(ADJECTIVES)), str(r.choice(NOUNS)), str(r.choice(VERBS)),
             "the", str(r.choice(NOUNS))]  # fmt: skip
    if r.random() < 0.6:
        words.append(str(r.choice(ADVERBS)))
    if r.random() < 0.4:
        words += ["and", "the", str(r.choice(NOUNS)), str(r.choice(VERBS)), "it"]
    return " ".join(words).capitalize() + "."


# ----------------------------------------------------------------- espeak-ng via ctypes


class _Espeak:
    """The espeak-ng C library in synchronous mode; one instance per process."""

    _AUDIO_OUTPUT_SYNCHRONOUS = 2
    _RATE, _PITCH, _RANGE = 1, 3, 4
    _CHARS_UTF8 = 1

    def __init__(self):
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]  # fmt: skip
        rate = lib.espeak_Initialize(
            self._AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if rate != ESPEAK_RATE:
            raise RuntimeError(f"espeak-ng initialisation failed (returned {rate})")
        self._chunks: List[np.ndarray] = []
        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
        )
        self._callback = callback_type(self._collect)  # kept alive as long as self
        lib.espeak_SetSynthCallback(self._callback)
        # Voices with a "breath" line (Alicia, f2, f3, f5, sandro, victor, ...) add noise from
        # espeak-ng's own generator, which espeak_Initialize seeds from time(): without a seed
        # of our own their audio differs from run to run. Older builds lack the setter.
        if not hasattr(lib, "espeak_ng_SetRandSeed"):
            raise RuntimeError(
                f"{espeakng_loader.get_library_path()}: espeak-ng has no espeak_ng_SetRandSeed "
                "(needs espeak-ng >= 1.52); the demo corpus would not be deterministic"
            )
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        self._lib = lib
        self._libc = ctypes.CDLL(None)

    def _collect(self, wav, num_samples, events):
        if num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        return 0

    def synth(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int, seed: int):
        """Synthesise ``text``; returns int16 samples at 22.05 kHz."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice '{voice}'")
        for param, value in ((self._RATE, rate), (self._PITCH, pitch), (self._RANGE, pitch_range)):
            self._lib.espeak_SetParameter(param, int(value), 0)
        # Noise generators, seeded per utterance so that an utterance does not depend on what
        # the process synthesised before: espeak-ng's own (breath noise; seeded from the clock
        # at initialisation otherwise) and libc rand() (the Klatt voices).
        self._lib.espeak_ng_SetRandSeed(ctypes.c_long(seed & 0x7FFFFFFF))
        self._libc.srand(ctypes.c_uint(seed & 0xFFFFFFFF))
        self._chunks = []
        data = text.encode() + b"\0"
        err = self._lib.espeak_Synth(data, len(data), 0, 0, 0, self._CHARS_UTF8, None, None)
        if err != 0 or self._lib.espeak_Synchronize() != 0:
            raise RuntimeError(f"espeak-ng failed on {text!r} with voice '{voice}'")
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)


# ----------------------------------------------------------------- signal colouring


def _peaking(freq: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    """RBJ-cookbook peaking EQ biquad as one second-order section."""
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * min(freq, 0.45 * sr) / sr
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a_gain, -2 * np.cos(w0), 1 - alpha * a_gain])
    a = np.array([1 + alpha / a_gain, -2 * np.cos(w0), 1 - alpha / a_gain])
    return np.concatenate([b / a[0], a / a[0]])[None, :]


def colour(wav: np.ndarray, prof: SpeakerProfile, chan: Channel, r: np.random.Generator):
    """Apply the speaker's colouring, the session's channel and the utterance's noise.

    Args:
        wav: float64 samples at 16 kHz.
        prof: the speaker.
        chan: the session channel.
        r: the utterance's generator (noise, level).

    Returns:
        float32 samples in [-1, 1].
    """
    from scipy.signal import butter, lfilter, sosfilt

    sos = [_peaking(f, g, q, SAMPLE_RATE) for f, g, q in prof.formants]
    sos.append(_peaking(chan.eq_hz, chan.eq_gain_db, 1.0, SAMPLE_RATE))
    sos.append(butter(2, chan.highpass_hz, "highpass", fs=SAMPLE_RATE, output="sos"))
    sos.append(butter(4, chan.lowpass_hz, "lowpass", fs=SAMPLE_RATE, output="sos"))
    y = sosfilt(np.concatenate(sos), lfilter([1.0, -prof.tilt], [1.0], wav))
    noise = lfilter([1.0], [1.0, -chan.noise_tilt], r.standard_normal(len(y)))
    snr = chan.snr_db + r.uniform(-3, 3)
    p_sig = np.mean(y**2) + 1e-12
    noise *= np.sqrt(p_sig / (np.mean(noise**2) + 1e-12) / 10 ** (snr / 10))
    y = y + noise
    y *= r.uniform(0.25, 0.9) / (np.max(np.abs(y)) + 1e-9)
    return np.clip(y, -1, 1).astype(np.float32)


# ----------------------------------------------------------------- generation


_ENGINE: Optional[_Espeak] = None


def _make_speaker(job) -> Tuple[str, List[Tuple[str, float]]]:
    """Worker: synthesise all utterances of one speaker into ``wav_dir``.

    Returns:
        (speaker, [(relative path, seconds), ...]).
    """
    global _ENGINE
    import soundfile as sf
    from scipy.signal import resample_poly

    prof, utts_per_speaker, seed, wav_dir = job
    if _ENGINE is None:
        _ENGINE = _Espeak()
    out = []
    for k in range(utts_per_speaker):
        r = _rng(seed, "utt", prof.name, k)
        sess_idx = k % len(prof.sessions)
        text = make_text(r)
        pcm = _ENGINE.synth(
            text,
            prof.voice,
            rate=int(prof.rate * r.uniform(0.92, 1.08)),
            pitch=int(np.clip(prof.pitch + r.integers(-4, 5), 0, 99)),
            pitch_range=int(np.clip(prof.pitch_range + r.integers(-6, 7), 0, 99)),
            seed=int(r.integers(0, 2**31)),
        )
        if len(pcm) == 0:
            raise RuntimeError(f"espeak-ng produced no audio for {text!r} ({prof.voice})")
        wav = resample_poly(pcm.astype(np.float64) / 32768.0, 320, prof.warp_down)
        wav = colour(wav, prof, prof.sessions[sess_idx], r)
        rel = f"{prof.name}/s{sess_idx + 1:02d}/{k // len(prof.sessions) + 1:05d}.wav"
        path = Path(wav_dir) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), wav, SAMPLE_RATE, subtype="PCM_16", format="WAV")
        out.append((rel, len(wav) / SAMPLE_RATE))
    return prof.name, out


def _split_speakers(names: Sequence[str], num_test: int, seed: int) -> Dict[str, str]:
    """speaker -> ``dev`` / ``test``, ``num_test`` test speakers drawn with the seed."""
    order = _rng(seed, "split").permutation(len(names))
    test = {names[i] for i in order[:num_test]}
    return {n: ("test" if n in test else "dev") for n in names}


def make_demo_corpus(
    out_dir,
    num_speakers: int = 200,
    utts_per_speaker: int = 20,
    num_test_speakers: int = 40,
    num_target: int = 3,
    num_nontarget: int = 3,
    seed: int = 0,
    nj: int = 2,
    log=print,
) -> Dict[str, int]:
    """Synthesise the demo corpus into ``out_dir`` (VoxCeleb1 layout), atomically.

    The corpus is written into a temporary sibling folder and renamed onto ``out_dir`` at the
    end; an existing ``out_dir`` made with the same options is kept as it is (nothing to
    do), one made with other options is replaced.

    Args:
        out_dir: the corpus root to create.
        num_speakers: speakers in all (dev + test).
        utts_per_speaker: utterances per speaker, spread over its 2-4 sessions.
        num_test_speakers: held-out speakers (``set`` = test in meta.csv, used by the trials).
        num_target: target trials per test utterance.
        num_nontarget: non-target trials per test utterance.
        seed: random seed; the same seed gives the same bytes.
        nj: worker processes.
        log: progress printer.

    Returns:
        {"speakers", "utterances", "trials", "seconds"} (seconds: total audio, rounded).

    Raises:
        ValueError: inconsistent counts.
    """
    if num_speakers < 2 or utts_per_speaker < 1:
        raise ValueError("need --num-speakers >= 2 and --utts-per-speaker >= 1")
    if not 1 <= num_test_speakers < num_speakers:
        raise ValueError(
            f"--num-test-speakers must be in 1..{num_speakers - 1}, got {num_test_speakers}"
        )
    out_dir = Path(out_dir)
    options = {
        "num_speakers": num_speakers, "utts_per_speaker": utts_per_speaker,
        "num_test_speakers": num_test_speakers, "num_target": num_target,
        "num_nontarget": num_nontarget, "seed": seed, "version": 2,
    }  # fmt: skip
    stamp = out_dir / ".demo_corpus.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == options:
        log(f"{out_dir}: demo corpus with these options exists; nothing to do")
        meta = (out_dir / "meta.csv").read_text().splitlines()[1:]
        return {"speakers": len(meta), "utterances": sum(int(x.split(",")[4]) for x in meta),
                "trials": len((out_dir / "trials" / "test.txt").read_text().splitlines()),
                "seconds": -1}  # fmt: skip
    start = time.time()
    profiles = draw_speakers(num_speakers, seed)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        jobs = [(p, utts_per_speaker, seed, str(tmp / "wav")) for p in profiles]
        results: Dict[str, List[Tuple[str, float]]] = {}
        # Import the heavy modules once here: forked workers inherit them (a fresh worker per
        # speaker would otherwise spend a second importing scipy.signal).
        import scipy.signal  # noqa: F401
        import soundfile  # noqa: F401

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ctx.Pool(max(1, min(nj, len(jobs))), maxtasksperchild=1) as pool:
            for i, (name, utts) in enumerate(pool.imap(_make_speaker, jobs, chunksize=1), 1):
                results[name] = utts
                if i % 50 == 0 or i == len(jobs):
                    log(f"synthesised {i}/{len(jobs)} speakers ({time.time() - start:.0f} s)")
        split = _split_speakers([p.name for p in profiles], num_test_speakers, seed)
        with open(tmp / "meta.csv", "w", encoding="utf-8") as f:
            f.write("speaker,gender,corpus,set,utterances\n")
            for p in profiles:
                f.write(f"{p.name},{p.gender},demo,{split[p.name]},{len(results[p.name])}\n")
        test_utt2spk = {
            rel: name for name, utts in results.items() if split[name] == "test"
            for rel, _ in utts
        }  # fmt: skip
        trials = make_trials(test_utt2spk, num_target, num_nontarget, seed=seed)
        (tmp / "trials").mkdir()
        n_trials = write_trials(tmp / "trials" / "test.txt", trials, fmt="vox")
        with open(tmp / "speakers.json", "w", encoding="utf-8") as f:
            json.dump([asdict(p) for p in profiles], f, indent=1)
            f.write("\n")
        (tmp / ".demo_corpus.json").write_text(json.dumps(options) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = sum(d for utts in results.values() for _, d in utts)
    log(
        f"{out_dir}: {num_speakers} speakers, {num_speakers * utts_per_speaker} utterances "
        f"({seconds / 3600:.2f} h), {n_trials} trials, {time.time() - start:.0f} s"
    )
    return {"speakers": num_speakers, "utterances": num_speakers * utts_per_speaker,
            "trials": n_trials, "seconds": int(round(seconds))}  # fmt: skip
