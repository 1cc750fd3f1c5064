"""Shared fixtures: repository paths and the optional read-only data in ../shared/data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or $SHARED_DATA); the test is skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: real-data checks need ../shared/data")
    return SHARED_DATA


@pytest.fixture
def recipe_env(tmp_path: Path) -> dict:
    """Environment for running recipe scripts as a user would after `. ./path.sh`."""
    env = dict(os.environ)
    # as path.sh does: the interpreter running the tests first (the venv), then the recipe
    env["PATH"] = os.pathsep.join(
        [
            str(Path(sys.executable).parent),
            str(REPO / "utils"),
            str(REPO / "utils" / "data"),
            str(REPO / "steps"),
            env["PATH"],
        ]
    )
    extra = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + extra if extra else "")
    env["LC_ALL"] = "C"
    env["PYTHONUNBUFFERED"] = "1"
    return env
