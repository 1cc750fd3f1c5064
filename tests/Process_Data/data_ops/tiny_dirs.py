"""Tiny valid data dirs with real WAV files for the data_ops tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from Process_Data.data_dir import utt2spk_to_spk2utt, write_kv

# speaker -> number of utterances; utterance k (0-based) lasts (k + 1) * 0.25 s
SPEAKERS = {"spkA": 3, "spkB": 2, "spkC": 1}


def make_data_dir(root: Path, name: str = "data", speakers=None, rate: int = 16000) -> Path:
    """A valid data dir with real WAV files; returns its path."""
    d = root / name
    d.mkdir(parents=True)
    wav, utt2spk, utt2dur = {}, {}, {}
    for spk, n in (speakers or SPEAKERS).items():
        for k in range(n):
            utt = f"{spk}-u{k}"
            dur = (k + 1) * 0.25
            t = np.arange(int(dur * rate)) / rate
            path = root / f"{name}_{utt}.wav"
            sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate)
            wav[utt], utt2spk[utt], utt2dur[utt] = str(path), spk, str(dur)
    write_kv(d / "wav.scp", wav)
    write_kv(d / "utt2spk", utt2spk)
    write_kv(d / "spk2utt", utt2spk_to_spk2utt(utt2spk))
    write_kv(d / "utt2dur", utt2dur)
    write_kv(d / "spk2gender", {s: "m" for s in (speakers or SPEAKERS)})
    return d
