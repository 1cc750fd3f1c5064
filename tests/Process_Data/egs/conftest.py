"""Fixtures: a tiny data dir with random features and VAD written by kaldiio."""

from __future__ import annotations

from pathlib import Path

import pytest
from egs_data import make_feats_dir


@pytest.fixture
def feats_dir(tmp_path: Path) -> Path:
    """4 speakers x 3 utterances of 30-80 frames, 5-dim, first 10% unvoiced."""
    return make_feats_dir(tmp_path)
