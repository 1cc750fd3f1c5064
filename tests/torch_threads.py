"""An autouse fixture a test directory's conftest imports to run torch on one thread.

Tiny-tensor tests are faster with one intra-op thread on a shared 2-core runner::

    from tests.torch_threads import single_thread  # noqa: F401  (autouse fixture)
"""

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
