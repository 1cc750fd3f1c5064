"""Fixtures for the corpus-preparation tests: tiny audio files made in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def _write_tone(path, sr: int = 16000, seconds: float = 0.5, channels: int = 1,
                freq: float = 440.0, fmt: str = None) -> Path:  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    x = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    sf.write(str(path), x, sr, subtype="PCM_16", format=fmt)
    return path


@pytest.fixture
def write_tone():
    """``write_tone(path, sr=16000, seconds=0.5, channels=1, freq=440)``: a 16-bit tone file
    (format from the extension); returns its Path."""
    return _write_tone
