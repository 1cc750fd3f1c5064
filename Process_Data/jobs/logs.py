"""Job log shape (Kaldi's) and reading back which jobs succeeded.

A log looks like::

    # copy-feats ark:a.ark ark:b.ark
    # Started at Mon Nov 24 09:30:00 UTC 2025
    ...the command's stdout and stderr...
    # Accounting: time=3 threads=1
    # Ended (code 0) at Mon Nov 24 09:30:03 UTC 2025, elapsed time 3 seconds

``--pick failed`` reruns every job whose log does not end in ``# Ended (code 0)``.

Example:
    >>> header("echo hi", when=0).splitlines()[0]
    '# echo hi'
    >>> trailer(0, 3.2, 1, when=0).splitlines()[0]
    '# Accounting: time=3 threads=1'
"""

from __future__ import annotations

import os
import re
import time
from typing import List, Optional

from Process_Data.jobs.options import JobArray

_ENDED_RE = re.compile(r"^# Ended \(code (-?\d+)\) at ")


def kaldi_date(when: Optional[float] = None) -> str:
    """A date like the ``date`` command prints (``Mon Nov 24 09:30:00 UTC 2025``)."""
    return time.strftime("%a %b %d %H:%M:%S %Z %Y", time.localtime(when))


def header(command: str, when: Optional[float] = None) -> str:
    """The first lines of a job log: the command and the start time."""
    return f"# {command}\n# Started at {kaldi_date(when)}\n"


def trailer(code: int, elapsed: float, threads: int, when: Optional[float] = None) -> str:
    """The last lines of a job log: accounting, exit code and elapsed whole seconds."""
    seconds = int(round(elapsed))
    return (
        f"# Accounting: time={seconds} threads={threads}\n"
        f"# Ended (code {code}) at {kaldi_date(when)}, elapsed time {seconds} seconds\n"
    )


def log_exit_code(path: str) -> Optional[int]:
    """The exit code recorded by the log's last line, or None (no log, or no trailer last).

    Example:
        >>> log_exit_code("/nonexistent/task.1.log") is None
        True
    """
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 4096))
            tail = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    match = _ENDED_RE.match(lines[-1])
    return int(match.group(1)) if match else None


def log_succeeded(path: str) -> bool:
    """True when the log ends in ``# Ended (code 0) ...``."""
    return log_exit_code(path) == 0


def pick_jobs(jobs: JobArray, pick: str) -> List[int]:
    """The job ids to run: all of them, or (``pick="failed"``) those not yet succeeded.

    Args:
        jobs: the job array.
        pick: ``"all"`` or ``"failed"``.

    Returns:
        Job ids in order.
    """
    if pick == "all":
        return jobs.ids()
    return [job_id for job_id in jobs.ids() if not log_succeeded(jobs.log_for(job_id))]
