"""Run a job array on this machine (``run.pl``).

Jobs run through ``bash -c`` with stdout and stderr appended to their log, each in its own
process group. Concurrency is capped by ``--max-jobs-run``, by the CPU count divided by
``--num-threads``, and with ``--gpu N`` by the GPU count divided by N (one job at a time
when no GPU is found; with GPUs each job gets its own ``CUDA_VISIBLE_DEVICES``). SIGINT or
SIGTERM to the parent kills every running job (its log then ends with the signal's code).

Example:
    >>> import tempfile, os
    >>> from Process_Data.jobs.options import parse_command_line
    >>> d = tempfile.mkdtemp()
    >>> opts, jobs = parse_command_line([f"JOB=1:2", f"{d}/t.JOB.log", "exit", "0"], "run.pl")
    >>> run_local(jobs, opts, jobs.ids())
    {1: 0, 2: 0}
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Dict, List, Mapping, Optional

from Process_Data.jobs.logs import header, trailer
from Process_Data.jobs.options import JobArray, JobOptions
from Process_Data.jobs.signals import InterruptError, ignore_signals, recorded_signals


def cpu_count() -> int:
    """CPUs this process may use (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def detect_gpus(env: Optional[Mapping[str, str]] = None) -> List[str]:
    """GPU ids visible to jobs: from ``CUDA_VISIBLE_DEVICES`` if set, else ``nvidia-smi -L``.

    Args:
        env: the environment to read (default ``os.environ``).

    Returns:
        The ids as strings (``["0", "1"]``); empty when there is no GPU.

    Example:
        >>> detect_gpus({"CUDA_VISIBLE_DEVICES": "2,3"})
        ['2', '3']
        >>> detect_gpus({"CUDA_VISIBLE_DEVICES": ""})
        []
    """
    env = os.environ if env is None else env
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = []
        for item in visible.split(","):
            item = item.strip()
            if not item or item.startswith("-"):
                break  # CUDA stops at the first invalid entry
            ids.append(item)
        return ids
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    ids = []
    for line in out.stdout.splitlines():
        if line.startswith("GPU "):
            ids.append(line.split()[1].rstrip(":"))
    return ids


def concurrency(opts: JobOptions, n_gpus: int, n_cpus: Optional[int] = None) -> int:
    """How many jobs may run at once.

    Example:
        >>> from Process_Data.jobs.options import JobOptions
        >>> concurrency(JobOptions({"num_threads": "2"}), 0, n_cpus=8)
        4
        >>> concurrency(JobOptions({"gpu": "1", "max_jobs_run": "3"}), 4, n_cpus=8)
        3
        >>> concurrency(JobOptions({"gpu": "1"}), 0, n_cpus=8)
        1
    """
    n_cpus = cpu_count() if n_cpus is None else n_cpus
    cap = max(1, n_cpus // opts.num_threads)
    if opts.gpu > 0:
        cap = min(cap, max(1, n_gpus // opts.gpu)) if n_gpus else 1
    if opts.max_jobs_run is not None:
        cap = min(cap, opts.max_jobs_run)
    return cap


class _Running:
    """One launched job."""

    def __init__(self, job_id: int, proc: subprocess.Popen, log: str, start: float, gpus):
        self.job_id, self.proc, self.log, self.start, self.gpus = job_id, proc, log, start, gpus


def _exit_status(returncode: int) -> int:
    """Shell convention: a job killed by signal N ends with 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def _finish(job: _Running, threads: int) -> int:
    code = _exit_status(job.proc.returncode)
    with open(job.log, "a", encoding="utf-8") as handle:
        handle.write(trailer(code, time.time() - job.start, threads))
    return code


def run_local(
    jobs: JobArray,
    opts: JobOptions,
    ids: List[int],
    prog: str = "run.pl",
    env: Optional[Mapping[str, str]] = None,
    poll_s: float = 0.1,
) -> Dict[int, int]:
    """Run the given jobs of the array here and return their exit codes.

    Args:
        jobs: the job array.
        opts: the options (``max_jobs_run``, ``num_threads``, ``gpu`` are used).
        ids: which job ids to run.
        prog: program name for messages.
        env: the jobs' environment (default ``os.environ``).
        poll_s: the longest wait between checks for a signal (a finished job wakes the loop
            at once).

    Returns:
        job id -> exit code (0 success). A job whose log cannot be written gets code 1 and a
        message on stderr.

    Raises:
        InterruptError: the parent got SIGINT/SIGTERM; running jobs were killed first.
    """
    env = dict(os.environ if env is None else env)
    gpus = detect_gpus(env) if opts.gpu > 0 else []
    if opts.gpu > 0 and not gpus:
        print(f"{prog}: --gpu {opts.gpu} but no GPU found; running one job at a time", file=sys.stderr)
    slots = concurrency(opts, len(gpus))
    free_gpus = list(gpus)
    threads = opts.num_threads
    pending = list(ids)
    running: List[_Running] = []
    codes: Dict[int, int] = {}
    ended: queue.Queue = queue.Queue()  # jobs whose process has exited

    with recorded_signals() as got:
        while (pending or running) and not got:
            while pending and len(running) < slots and not got:
                job_id = pending.pop(0)
                mine = []
                if gpus:
                    take = min(opts.gpu, len(gpus))
                    mine, free_gpus = free_gpus[:take], free_gpus[take:]
                launched = _launch(jobs, job_id, env, mine, prog)
                if launched is None:
                    codes[job_id] = 1
                    free_gpus.extend(mine)
                else:
                    running.append(launched)
                    threading.Thread(
                        target=_wait_then_put, args=(launched, ended), daemon=True
                    ).start()
            try:
                finished = [ended.get(timeout=poll_s)]
            except queue.Empty:
                continue
            while not ended.empty():
                finished.append(ended.get())
            for job in finished:
                running.remove(job)
                free_gpus.extend(job.gpus)
                codes[job.job_id] = _finish(job, threads)
        if got:
            ignore_signals()  # a second Ctrl-C must not stop the cleanup
            _kill_all(running, threads)
            raise InterruptError(got[0])
    return {job_id: codes[job_id] for job_id in ids}


def _wait_then_put(job: _Running, ended: queue.Queue) -> None:
    """Waiter thread: report the job as soon as its process exits."""
    job.proc.wait()
    ended.put(job)


def _launch(
    jobs: JobArray, job_id: int, env: Dict[str, str], gpus: List[str], prog: str
) -> Optional[_Running]:
    log = jobs.log_for(job_id)
    command = jobs.command_for(job_id)
    try:
        os.makedirs(os.path.dirname(log) or ".", exist_ok=True)
        with open(log, "w", encoding="utf-8") as handle:
            handle.write(header(command))
        out = open(log, "ab")  # noqa: SIM115 (handed to the child, closed below)
    except OSError as err:
        print(f"{prog}: job {job_id}: cannot write log file {log}: {err.strerror}", file=sys.stderr)
        return None
    job_env = env
    if gpus:
        job_env = dict(env, CUDA_VISIBLE_DEVICES=",".join(gpus))
    try:
        proc = subprocess.Popen(
            ["bash", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=job_env,
            start_new_session=True,
        )
    finally:
        out.close()
    return _Running(job_id, proc, log, time.time(), gpus)


def _kill_all(running: List[_Running], threads: int, grace_s: float = 3.0) -> None:
    """SIGTERM every running job's process group, SIGKILL what is left after ``grace_s``."""
    for job in running:
        try:
            os.killpg(job.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + grace_s
    for job in running:
        try:
            job.proc.wait(timeout=max(0.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(job.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            job.proc.wait()
        _finish(job, threads)
