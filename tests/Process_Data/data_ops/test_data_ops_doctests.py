"""The docstring examples of the data-dir operations, of audio and of kaldi_table run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "Process_Data.audio",
    "Process_Data.data_dir",
    "Process_Data.kaldi_table",
    *(f"Process_Data.data_ops.{m}" for m in (
        "lines", "staging", "split", "subset", "combine", "rename", "durations", "frames",
        "speed",
    )),
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0
