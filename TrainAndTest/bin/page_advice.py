"""Keep numpy from asking for transparent huge pages in the streaming command-line tools.

numpy advises the kernel to back every array of 4 MiB or more with transparent huge pages
(``madvise(MADV_HUGEPAGE)``). Where the kernel's THP mode is ``madvise`` and its defrag
setting lets page faults in advised memory compact memory directly (the defaults of many
distributions and of this project's CI machines), a fault in such an array can stall
while the kernel looks for a free 2 MiB page. The scoring tools touch fresh memory all
the time (embeddings, cohort products, blocks of a trial list); on the 2-core development
machine first touches cost about 9 ms per MiB with the advice against 0.5 ms without, and
``score_norm``'s start-up (reading 2 x 100k embeddings, normalising the cohort) took
3.2-4.3 s with it against 1.7 s without (docs/BENCHMARKS.md, issue 19).

numpy reads ``NUMPY_MADVISE_HUGEPAGE`` once, when it is imported; the tools that end
through :func:`TrainAndTest.bin.process_exit.run_and_exit` set it to 0 before importing
numpy, unless the user has set it (``NUMPY_MADVISE_HUGEPAGE=1`` restores the advice).

Example:
    >>> import subprocess, sys
    >>> code = ("from TrainAndTest.bin.page_advice import no_numpy_hugepages\\n"
    ...         "print(no_numpy_hugepages())\\n"
    ...         "import numpy, os; print(os.environ['NUMPY_MADVISE_HUGEPAGE'])")
    >>> env = {k: v for k, v in __import__('os').environ.items() if k != 'NUMPY_MADVISE_HUGEPAGE'}
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
    ...                env=env).stdout.split()
    ['True', '0']
"""

from __future__ import annotations

import os
import sys

ENV = "NUMPY_MADVISE_HUGEPAGE"


def no_numpy_hugepages() -> bool:
    """Set ``NUMPY_MADVISE_HUGEPAGE=0`` for this process before numpy is imported.

    Returns True when it was set; False when the user chose a value or numpy is already
    imported (a library caller's process: its setting is left alone).
    """
    if ENV in os.environ or "numpy" in sys.modules:
        return False
    os.environ[ENV] = "0"
    return True
