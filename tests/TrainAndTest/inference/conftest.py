"""One intra-op thread for these tiny-tensor tests (faster on a shared 2-core runner)."""

from __future__ import annotations

from tests.torch_threads import single_thread  # noqa: F401  (autouse fixture)
