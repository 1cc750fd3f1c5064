"""One intra-op thread for these tiny-tensor tests (faster on a shared 2-core runner)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    """Run each test with torch on one thread, restoring the previous setting after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
