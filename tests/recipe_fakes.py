"""Tiny synthetic corpora in the on-disk layouts run.sh reads, for recipe tests.

Each speaker is a harmonic voice with its own pitch and formant-like resonance plus noise,
so a model can tell a few speakers apart after one epoch; nothing here is real speech.
The layouts are those the corpus preparation reads (``Process_Data/corpora``): VoxCeleb1
(``wav/<spk>/<session>/*.wav``, ``vox1_meta.csv``, ``veri_test*.txt``), VoxCeleb2
(``aac/<spk>/<session>/*``), CN-Celeb (``data/``, ``eval/``), LibriSpeech
(``<subset>/<spk>/<chapter>/*.flac``), Speakers in the Wild (``eval/audio``, ``lists``,
``keys``), MUSAN and RIRS_NOISES.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import soundfile as sf

SR = 16000


def voice(spk: int, utt: int, seconds: float = 1.6) -> np.ndarray:
    """A seeded harmonic "voice" of speaker ``spk``: pitch and resonance depend on it."""
    rng = np.random.default_rng(1000 * spk + utt)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 90 + 23 * (spk % 9) + rng.normal(0, 3)
    x = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k for k in range(1, 12))
    formant = 500 + 170 * (spk % 7)
    x = x + 0.8 * np.sin(2 * np.pi * formant * t) * (1 + np.sin(2 * np.pi * 3 * t))
    x = x * (0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(1, 4) * t) ** 2)
    x = x / np.max(np.abs(x)) * 0.5 + rng.normal(0, 0.01, len(t))
    return x.astype(np.float32)


def write(path: Path, x: np.ndarray) -> str:
    """Write ``x`` at 16 kHz (format from the suffix); return the path as text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, SR, subtype="PCM_16")
    return str(path)


def make_rirs(root: Path) -> Path:
    """RIRS_NOISES layout: a real and a simulated small-room set, two decaying RIRs each."""
    rng = np.random.default_rng(0)
    for part, room, lst in (
        ("real_rirs_isotropic_noises", "", "real_rirs_isotropic_noises/rir_list"),
        ("simulated_rirs/smallroom", "Room001", "simulated_rirs/smallroom/rir_list"),
    ):
        lines = []
        for i in range(2):
            h = rng.normal(size=1600) * np.exp(-np.arange(1600) / 300.0)
            h[0] = 1.0
            rel = f"{part}/{room + '/' if room else ''}rir_{i}.wav"
            write(root / rel, (h / np.max(np.abs(h)) * 0.9).astype(np.float32))
            rid = f"{room or 'real'}-{i:05d}"
            lines.append(f"--rir-id {rid} --room-id {room or 'real'} RIRS_NOISES/{rel}\n")
        (root / lst).write_text("".join(lines))
    return root


def make_musan(root: Path) -> Path:
    """MUSAN layout: two recordings each of music (annotated, no vocals), noise, speech."""
    rng = np.random.default_rng(1)
    for part in ("music", "noise", "speech"):
        for i in range(2):
            x = rng.normal(0, 0.1, 2 * SR).astype(np.float32)
            if part == "speech":
                x = voice(900 + i, 0, 2.0)
            write(root / part / "src" / f"{part}-{i:04d}.wav", x)
    (root / "music" / "src" / "ANNOTATIONS").write_text(
        "".join(f"music-{i:04d} pop N\n" for i in range(2)))
    return root


def make_cnceleb(root: Path, train_speakers: int = 10, eval_speakers: int = 4,
                 utts: int = 8) -> Path:
    """CN-Celeb1 layout: ``data/`` for training speakers, ``eval/`` enrolment + test lists."""
    for s in range(train_speakers):
        for u in range(utts):
            write(root / "data" / f"id{s:05d}" / f"speech-01-{u:03d}.flac", voice(s, u))
    enroll, trials, tests = [], [], []
    for s in range(train_speakers, train_speakers + eval_speakers):
        spk = f"id{s:05d}"
        write(root / "eval" / "enroll" / f"{spk}-enroll.flac", voice(s, 99, 3.0))
        enroll.append(f"{spk}-enroll enroll/{spk}-enroll.flac\n")
        for u in range(3):
            name = f"test/{spk}-interview-01-{u:03d}.flac"
            write(root / "eval" / name, voice(s, u))
            tests.append((spk, name))
    for e in range(train_speakers, train_speakers + eval_speakers):
        for spk, name in tests:
            trials.append(f"id{e:05d}-enroll {name} {int(spk == f'id{e:05d}')}\n")
    (root / "eval" / "lists").mkdir(parents=True, exist_ok=True)
    (root / "eval" / "lists" / "enroll.lst").write_text("".join(enroll))
    (root / "eval" / "lists" / "trials.lst").write_text("".join(trials))
    return root


def make_librispeech(subset_dir: Path, speakers: int = 4, utts: int = 4) -> Path:
    """One LibriSpeech subset: ``<spk>/<chapter>/<spk>-<chapter>-<utt>.flac``."""
    for s in range(speakers):
        spk = 5000 + s
        for u in range(utts):
            write(subset_dir / str(spk) / "100" / f"{spk}-100-{u:04d}.flac", voice(50 + s, u))
    return subset_dir


def make_voxceleb(vox1: Path, vox2: Path, test_speakers: int = 3) -> List[str]:
    """VoxCeleb1 with only the Vox1-O lists (cleaned and original), and a VoxCeleb2 dev.

    Returns the Vox1 test utterances (``<spk>/<session>/<utt>.wav``).
    """
    meta = ["VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\n"]
    utts = []
    for s in range(test_speakers + 2):
        spk = f"id1{s:04d}"
        is_test = s < test_speakers
        meta.append(f"{spk}\tname{s}\tm\tnone\t{'test' if is_test else 'dev'}\n")
        for u in range(3):
            rel = f"{spk}/sess{u % 2}/{u:05d}.wav"
            write(vox1 / "wav" / rel, voice(200 + s, u))
            if is_test:
                utts.append(rel)
    (vox1 / "vox1_meta.csv").write_text("".join(meta))
    pairs = [(a, b) for i, a in enumerate(utts) for b in utts[i + 1:]]
    lines = [f"{int(a.split('/')[0] == b.split('/')[0])} {a} {b}\n" for a, b in pairs]
    (vox1 / "veri_test.txt").write_text("".join(lines))
    (vox1 / "veri_test2.txt").write_text("".join(lines[:-1]))  # "cleaned": one line fewer
    for s in range(8):
        for u in range(6):
            write(vox2 / "aac" / f"id0{s:04d}" / f"sess{u % 2}" / f"{u:05d}.wav", voice(300 + s, u))
    return utts


def make_sitw(root: Path, part: str = "eval", speakers: int = 3, tests: int = 3) -> Path:
    """SITW layout of one part: ``audio/*.flac``, ``lists/enroll-core.lst``, ``keys/core-core.lst``."""
    base = root / part
    enroll, keys, test_files = [], [], []
    for s in range(speakers):
        name = f"audio/e{s:03d}.flac"
        write(base / name, voice(700 + s, 99, 3.0))
        enroll.append(f"m{s:03d} {name}\n")
        for u in range(tests):
            test_files.append((s, f"audio/t{s:03d}{u}.flac"))
            write(base / test_files[-1][1], voice(700 + s, u))
    for m in range(speakers):
        keys += [f"m{m:03d} {f} {'tgt' if s == m else 'imp'}\n" for s, f in test_files]
    for sub, lines in (("lists/enroll-core.lst", enroll), ("keys/core-core.lst", keys)):
        (base / sub).parent.mkdir(parents=True, exist_ok=True)
        (base / sub).write_text("".join(lines))
    return root
