"""Synthetic conversations from single-speaker utterances, with exact reference RTTMs.

Each conversation draws its number of speakers uniformly from ``min_speakers ..
max_speakers`` and its speakers from the pool (for minivox: the *test* speakers of
``meta.csv``, never the training ones). Turns follow one another until ``duration``
seconds: the first turns give every speaker the floor once (random order), later turns go
to a random speaker other than the last. A turn's length is drawn from a gamma
distribution (shape 2, mean ``turn_mean``, clipped to ``min_turn .. max_turn``) and filled
with whole utterances of its speaker, each with its leading and trailing silence trimmed
(frames 35 dB below the loudest). Between turns there is a pause drawn from an exponential
distribution (mean ``pause_mean``), or, with probability ``overlap_prob``, an overlap: the
turn starts 0.2 .. ``max_overlap`` s (at most half the previous turn) before the previous
one ends. Every speaker gets a level (-20 dBFS RMS +- 3 dB); white noise at ``noise_db``
dBFS is added so no sample stretch is digital silence. The reference turn is exactly where
the utterances were put (turns start and end on whole milliseconds, so the 3 decimals of
the RTTM are exact). Everything is drawn from ``numpy.random.default_rng([seed,
index])``: the same seed gives the same audio and RTTMs.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from Process_Data.audio import read_audio
from TrainAndTest.diarization.rttm import Turn

AUDIO_EXTENSIONS = (".wav", ".flac")


def _opt(default, help_text: str):
    """A dataclass field whose ``metadata['help']`` is the command-line help."""
    return dataclasses.field(default=default, metadata={"help": help_text})


@dataclasses.dataclass
class ConversationOptions:
    """How conversations are drawn (see the module docstring)."""

    min_speakers: int = _opt(2, "fewest speakers in a conversation")
    max_speakers: int = _opt(5, "most speakers in a conversation (uniform in between)")
    duration: float = _opt(60.0, "seconds of talk; the last turn may run over")
    turn_mean: float = _opt(3.0, "mean turn length, seconds (gamma, shape 2)")
    min_turn: float = _opt(1.0, "shortest turn, seconds")
    max_turn: float = _opt(10.0, "longest turn, seconds")
    pause_mean: float = _opt(0.4, "mean pause between turns, seconds (exponential)")
    overlap_prob: float = _opt(0.0, "share of turns that start before the previous one ends")
    max_overlap: float = _opt(1.0, "longest overlap, seconds")
    noise_db: float = _opt(-60.0, "white noise under everything, dBFS")
    sample_rate: int = _opt(16000, "output sample rate, Hz")

    def check(self) -> None:
        """ValueError naming the option when a value is out of range."""
        if not 1 <= self.min_speakers <= self.max_speakers:
            raise ValueError(f"--min-speakers {self.min_speakers} / --max-speakers "
                             f"{self.max_speakers}: need 1 <= min <= max")
        if not 0.0 <= self.overlap_prob <= 1.0:
            raise ValueError(f"--overlap-prob {self.overlap_prob}: must be in [0, 1]")
        for name in ("duration", "turn_mean", "min_turn", "max_turn", "max_overlap"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name.replace('_', '-')} must be positive")
        if self.pause_mean < 0 or self.min_turn > self.max_turn:
            raise ValueError("--pause-mean must be >= 0 and --min-turn <= --max-turn")


def speaker_utterances(root: os.PathLike, part: str = "test") -> Dict[str, List[str]]:
    """Audio files per speaker of a VoxCeleb-layout corpus (``wav/<spk>/<session>/<utt>``)
    whose ``meta.csv`` ``set`` column is ``part``.

    Raises:
        ValueError: no meta.csv, no ``speaker``/``set`` column, or no speaker of ``part``
        (names the file).
    """
    meta = Path(root) / "meta.csv"
    if not meta.is_file():
        raise ValueError(f"{meta}: missing (it says which speakers are test speakers)")
    with open(meta, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"speaker", "set"} <= set(rows[0]):
        raise ValueError(f"{meta}: needs 'speaker' and 'set' columns, has {sorted(rows[0])}")
    out = {}
    for row in rows:
        if row["set"] != part:
            continue
        files = sorted(str(p) for p in (Path(root) / "wav" / row["speaker"]).glob("*/*")
                       if p.suffix.lower() in AUDIO_EXTENSIONS)
        if files:
            out[row["speaker"]] = files
    if len(out) < 2:
        raise ValueError(f"{meta}: {len(out)} speaker(s) of set '{part}' with audio under "
                         f"{Path(root) / 'wav'}; a conversation needs at least 2")
    return out


def trim_silence(wave: np.ndarray, rate: int, below_db: float = 35.0) -> np.ndarray:
    """``wave`` without the leading and trailing 10 ms frames ``below_db`` under the loudest.

    Example:
        >>> x = np.concatenate([np.zeros(800), 0.5 * np.ones(1600), np.zeros(800)])
        >>> len(trim_silence(x.astype(np.float32), 16000))
        1600
    """
    hop = max(1, rate // 100)
    n = len(wave) // hop
    if n == 0:
        return wave
    energy = 10 * np.log10(np.mean(wave[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(energy > energy.max() - below_db)
    return wave[loud[0] * hop:(loud[-1] + 1) * hop]


def _turn_order(rng: np.random.Generator, n_spk: int):
    """Speaker indices: each once in random order, then random ones other than the last."""
    order = list(rng.permutation(n_spk))
    yield from order
    last = order[-1]
    while True:
        nxt = int(rng.integers(n_spk - 1))
        last = nxt if nxt < last else nxt + 1
        yield last


def make_conversation(pool: Dict[str, List[str]], opts: ConversationOptions,
                      rng: np.random.Generator) -> Tuple[np.ndarray, List[Turn]]:
    """One conversation: (float32 samples at ``opts.sample_rate``, reference turns)."""
    sr = opts.sample_rate
    n_spk = int(rng.integers(opts.min_speakers, min(opts.max_speakers, len(pool)) + 1))
    speakers = [sorted(pool)[i] for i in rng.choice(len(pool), n_spk, replace=False)]
    gains = {s: 10 ** ((-20 + rng.uniform(-3, 3)) / 20) for s in speakers}
    pieces: List[Tuple[int, np.ndarray]] = []
    turns: List[Turn] = []
    cursor = 0.0
    for k in _turn_order(rng, n_spk):
        if turns and cursor >= opts.duration:
            break
        spk = speakers[k]
        target = float(np.clip(rng.gamma(2.0, opts.turn_mean / 2.0), opts.min_turn,
                               opts.max_turn))
        audio: List[np.ndarray] = []
        while sum(len(a) for a in audio) < target * sr:
            path = pool[spk][int(rng.integers(len(pool[spk])))]
            x = trim_silence(read_audio(path, sr)[0], sr)
            rms = float(np.sqrt(np.mean(x ** 2))) if len(x) else 0.0
            if rms > 0:
                audio.append(x * (gains[spk] / rms))
        turn = np.concatenate(audio)
        turn = turn[: len(turn) - len(turn) % (sr // 1000)]  # whole ms: RTTM times are exact
        if not turns:
            start = 0.0
        elif rng.random() < opts.overlap_prob:
            prev = turns[-1]
            start = prev.end - min(rng.uniform(0.2, opts.max_overlap), (prev.end - prev.start) / 2)
        else:
            start = cursor + rng.exponential(opts.pause_mean)
        begin = int(round(round(start, 3) * sr))
        pieces.append((begin, turn))
        turns.append(Turn(begin / sr, (begin + len(turn)) / sr, spk))
        cursor = max(cursor, turns[-1].end)
    total = int(round(cursor * sr)) + int(0.5 * sr)
    mix = rng.normal(0.0, 10 ** (opts.noise_db / 20), total)
    for begin, x in pieces:
        mix[begin:begin + len(x)] += x
    return np.clip(mix, -1.0, 1.0).astype(np.float32), sorted(turns)


def write_conversations(root: os.PathLike, data_dir: os.PathLike, audio_dir: os.PathLike,
                        num: int, seed: int, opts: ConversationOptions,
                        part: str = "test") -> List[str]:
    """``num`` conversations as ``<audio_dir>/conv<seed>_<i>.wav`` (16-bit PCM) and the
    diarization data dir ``data_dir`` (:func:`.data_prep.write_recordings_dir`); returns
    the recording ids."""
    import soundfile as sf

    from TrainAndTest.diarization.data_prep import write_recordings_dir

    opts.check()
    if num < 1:
        raise ValueError(f"--num {num}: must be >= 1")
    pool = speaker_utterances(root, part)
    wav_dir = Path(audio_dir).resolve()
    wav_dir.mkdir(parents=True, exist_ok=True)
    wav_scp, turns, durations = {}, {}, {}
    for i in range(num):
        reco = f"conv{seed}_{i:04d}"
        wave, ref = make_conversation(pool, opts, np.random.default_rng([seed, i]))
        path = wav_dir / f"{reco}.wav"
        tmp = wav_dir / f".{reco}.tmp.wav"
        sf.write(str(tmp), wave, opts.sample_rate, subtype="PCM_16")
        os.replace(tmp, path)
        wav_scp[reco], turns[reco] = str(path), ref
        durations[reco] = len(wave) / opts.sample_rate
    write_recordings_dir(data_dir, wav_scp, turns, durations)
    return sorted(wav_scp)

