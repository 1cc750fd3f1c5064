"""What slurm.pl and queue.pl share: the task script, the ``q/`` dir and waiting for jobs.

One bash script under ``<log dir>/q/`` serves every task of the array: it maps the
scheduler's task index to a job id, writes the log header, runs the command through
``bash -c`` with output appended to the log, writes the log trailer and finally the exit
code into ``q/done.<array job id>.<job id>``. The parent polls for those done files and
asks the scheduler (``squeue``, ``qstat``) which tasks are still queued, so a task that died
without writing its code (cancelled, out of memory, node failure) is noticed too.

Example:
    >>> compress_ids([1, 2, 3, 5, 7, 8])
    '1-3,5,7-8'
    >>> queue_dir("exp/log/task.JOB.log", "JOB"), script_stem("exp/log/task.JOB.log", "JOB")
    ('exp/log/q', 'task')
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Set, Tuple

from Process_Data.jobs.config import BackendConfig, default_config_path, read_config
from Process_Data.jobs.logs import kaldi_date
from Process_Data.jobs.options import JobArray, JobOptions, UsageError
from Process_Data.jobs.signals import InterruptError, ignore_signals, raise_on_signals


class SubmitError(Exception):
    """The scheduler refused the job or could not be run; the message says why."""


def compress_ids(ids: List[int]) -> str:
    """Ids as a Slurm/SGE style range list (``1-3,5``)."""
    ranges: List[str] = []
    ids = sorted(ids)
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        ranges.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(ranges)


def queue_dir(log_template: str, var: Optional[str]) -> str:
    """``q/`` next to the logs: under the log's dir, above any dir named with the variable."""
    directory = os.path.dirname(log_template)
    if var and var in directory:
        parts = directory.split("/")
        keep = next(k for k, part in enumerate(parts) if var in part)
        directory = "/".join(parts[:keep]) or ("/" if log_template.startswith("/") else "")
    return os.path.join(directory, "q") if directory else "q"


def script_stem(log_template: str, var: Optional[str]) -> str:
    """A file-name stem for the script: the log's base name without ``.log`` and the variable."""
    base = os.path.basename(log_template)
    if base.endswith(".log"):
        base = base[: -len(".log")]
    if var:
        base = base.replace(var, "")
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", base)
    base = re.sub(r"\.{2,}", ".", base).strip("._")
    return base or "job"


def done_path(qdir: str, array_job_id: str, job_id: int) -> str:
    """The file a task writes its exit code into."""
    return os.path.join(qdir, f"done.{array_job_id}.{job_id}")


_SCRIPT = """#!/usr/bin/env bash
# {prog}: {count} job(s) of the array below, written at {date}.
#   log:     {log_template}
#   command: {command_comment}
# The scheduler's task index ({index_var}) selects the job; the exit code goes into the log
# trailer and into {qdir}/done.<array job id>.<job id>.
cd {cwd} || exit 1
if [ -f ./path.sh ]; then . ./path.sh; fi
index=${{{index_var}:-}}
array_job=${{{array_var}:-0}}
case "$index" in
{cases}
  *) echo "{prog}: no job for task index '$index'" >&2; exit 1 ;;
esac
mkdir -p "$(dirname "$log")" || exit 1
start=$(date +%s)
{{
  printf '# %s\\n' "$cmd"
  echo "# Started at $(date)"
  echo "# Running on $(hostname) as {scheduler} job ${{array_job}}_$index"
}} >"$log" || exit 1
{runner}bash -c "$cmd" </dev/null >>"$log" 2>&1
rc=$?
end=$(date +%s)
{{
  echo "# Accounting: time=$((end - start)) threads={threads}"
  echo "# Ended (code $rc) at $(date), elapsed time $((end - start)) seconds"
}} >>"$log"
done_file={qdir}/done.$array_job.$job
echo "$rc" >"$done_file.tmp" && mv -f "$done_file.tmp" "$done_file"
exit "$rc"
"""


def write_task_script(
    path: str,
    jobs: JobArray,
    index_to_job: Dict[int, int],
    index_var: str,
    array_var: str,
    scheduler: str,
    threads: int,
    prog: str,
    runner: str = "",
) -> None:
    """Write (atomically, executable) the batch script for the array.

    Args:
        path: the script path (its dir is the ``q/`` dir, which receives the done files).
        jobs: the job array.
        index_to_job: scheduler task index -> job id.
        index_var: the environment variable with the task index (``SLURM_ARRAY_TASK_ID``).
        array_var: the environment variable with the array's job id (``SLURM_ARRAY_JOB_ID``).
        scheduler: name shown in the log (``slurm``).
        threads: ``--num-threads``, for the accounting line.
        prog: program name for messages.
        runner: shell words put before ``bash -c "$cmd"`` (the scheduler's per-node
            launcher for ``--nodes``, see :meth:`Scheduler.node_runner`), ending in a space.
    """
    qdir = os.path.dirname(os.path.abspath(path))
    cases = []
    for index, job_id in sorted(index_to_job.items()):
        log = os.path.abspath(jobs.log_for(job_id))
        cases.append(
            f"  {index}) job={job_id}; log={shlex.quote(log)}\n"
            f"     cmd={shlex.quote(jobs.command_for(job_id))} ;;"
        )
    text = _SCRIPT.format(
        prog=prog,
        count=len(index_to_job),
        date=kaldi_date(),
        log_template=jobs.log_template,
        command_comment=" ".join(jobs.command.splitlines()),
        index_var=index_var,
        array_var=array_var,
        qdir=shlex.quote(qdir),
        cwd=shlex.quote(os.getcwd()),
        cases="\n".join(cases),
        scheduler=scheduler,
        threads=threads,
        runner=runner,
    )
    os.makedirs(qdir, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


def read_done(qdir: str, array_job_id: str, job_id: int) -> Optional[int]:
    """The exit code a task wrote, or None when its done file is absent or unreadable."""
    try:
        with open(done_path(qdir, array_job_id, job_id), encoding="utf-8") as handle:
            text = handle.read().strip()
    except OSError:
        return None
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def wait_for_done(
    qdir: str,
    array_job_id: str,
    ids: List[int],
    queued: Callable[[], Optional[Set[int]]],
    poll_min_s: float = 0.5,
    poll_max_s: float = 10.0,
    grace_s: float = 10.0,
) -> Dict[int, Optional[int]]:
    """Wait until every task has written its done file or has left the queue without one.

    Args:
        qdir: the ``q/`` dir with the done files.
        array_job_id: the scheduler's id of the array.
        ids: the job ids submitted.
        queued: returns the job ids the scheduler still has pending or running, or None when
            the query failed (then we just keep waiting).
        poll_min_s, poll_max_s: the poll interval starts at the first and grows to the second.
        grace_s: how long to wait for a done file after the scheduler says a task has left
            the queue (shared file systems can show files late).

    Returns:
        job id -> exit code, or None for a task that ended without writing one.
    """
    codes: Dict[int, Optional[int]] = {}
    gone_since: Optional[float] = None
    poll = poll_min_s
    while True:
        for job_id in ids:
            if job_id not in codes:
                code = read_done(qdir, array_job_id, job_id)
                if code is not None:
                    codes[job_id] = code
        missing = [job_id for job_id in ids if job_id not in codes]
        if not missing:
            return codes
        still = queued()
        if still is not None and not (set(missing) & still):
            gone_since = gone_since or time.time()
            if time.time() - gone_since >= grace_s:
                codes.update({job_id: None for job_id in missing})
                return {job_id: codes[job_id] for job_id in ids}
        else:
            gone_since = None
        time.sleep(poll if gone_since is None else min(poll, 1.0))
        poll = min(poll * 1.2, poll_max_s)


class Scheduler:
    """What a scheduler backend provides to :func:`run_scheduled`; see slurm.py and sge.py.

    Attributes:
        name: shown in logs (``slurm``).
        conf_name: the default config's file name under ``conf/``.
        index_var: environment variable with a task's index inside the array.
        array_var: environment variable with the array's job id.
    """

    name = ""
    conf_name = ""
    index_var = ""
    array_var = ""

    def array_args(
        self, ids: List[int], max_jobs_run: Optional[int], throttle_in_config: bool
    ) -> Tuple[List[str], Dict[int, int]]:
        """Submit arguments for the array and the task index -> job id map."""
        raise NotImplementedError

    def output_args(self, qdir: str, stem: str) -> List[str]:
        """Submit arguments naming the job and the scheduler's own output file."""
        raise NotImplementedError

    def parse_job_id(self, stdout: str) -> str:
        """The array's job id from the submit command's output."""
        raise NotImplementedError

    def queued(self, job_id: str, ids: List[int]) -> Optional[Set[int]]:
        """Job ids still pending or running, or None when the query failed."""
        raise NotImplementedError

    def cancel(self, job_id: str) -> None:
        """Cancel the whole array."""
        raise NotImplementedError

    def describe_lost(self, job_id: str, ids: List[int]) -> Dict[int, str]:
        """For tasks that ended without a done file: what the scheduler says about them."""
        return {}

    #: True when the backend config maps ``--nodes`` (Slurm); otherwise the backend
    #: handles it itself and supports only one node.
    config_maps_nodes = False

    def node_runner(self, nodes: Optional[int]) -> str:
        """Shell words that start the command once per node for ``--nodes`` (None: not given).

        The default supports one node only: ``--nodes 1`` (or none) runs the command as is.

        Raises:
            UsageError: ``nodes`` > 1.
        """
        if nodes is not None and nodes > 1:
            raise UsageError(
                f"--nodes {nodes}: the {self.name} backend runs each job on one node only; "
                "multi-node jobs need slurm.pl (cmd.sh: backend=slurm)"
            )
        return ""


def scheduler_args(cfg: BackendConfig, opts: JobOptions, map_nodes: bool = True) -> List[str]:
    """Config-mapped submit arguments for the command-line options.

    ``--config`` and ``--pick`` are never mapped; ``--max-jobs-run`` is mapped only when the
    config describes it (otherwise the backend applies it itself); ``--nodes`` only when
    ``map_nodes`` (a backend that cannot span nodes handles it itself).
    """
    values = {k: v for k, v in opts.values.items() if k not in ("config", "pick")}
    if "max_jobs_run" not in cfg.names():
        values.pop("max_jobs_run", None)
    if not map_nodes:
        values.pop("nodes", None)
    return cfg.option_args(values, skip=() if map_nodes else ("nodes",))


def _run(argv: List[str], timeout_s: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)


def query(argv: List[str]) -> Optional[subprocess.CompletedProcess]:
    """Run a scheduler query/cancel command (squeue, qstat, scancel, ...) with a 60 s limit;
    None when it cannot be run or times out (the caller polls again)."""
    try:
        return _run(argv, timeout_s=60)
    except (OSError, subprocess.SubprocessError):
        return None


def _submit(sched: Scheduler, argv: List[str]) -> str:
    """Run the submit command; return the array's job id."""
    try:
        out = _run(argv)
    except (OSError, subprocess.SubprocessError) as err:
        raise SubmitError(f"cannot run '{shlex.join(argv)}': {err}") from None
    if out.returncode != 0:
        raise SubmitError(
            f"'{shlex.join(argv)}' failed with code {out.returncode}: "
            f"{(out.stderr or out.stdout).strip()}"
        )
    return sched.parse_job_id(out.stdout)


def run_scheduled(
    sched: Scheduler,
    jobs: JobArray,
    opts: JobOptions,
    ids: List[int],
    prog: str,
    poll_min_s: float = 0.5,
    poll_max_s: float = 10.0,
    grace_s: float = 10.0,
) -> Dict[int, Optional[int]]:
    """Submit the jobs as one array, wait for them, and return their exit codes.

    Args:
        sched: the scheduler.
        jobs: the job array.
        opts: the options; ``--config`` names the config (default ``conf/<sched.conf_name>``).
        ids: the job ids to run.
        prog: program name for messages.
        poll_min_s, poll_max_s, grace_s: see :func:`wait_for_done`.

    Returns:
        job id -> exit code; None for a task that ended without one (a message on stderr
        says what the scheduler reports, and a line is added to its log).

    Raises:
        UsageError: bad config or an option it does not describe.
        SubmitError: the submit command failed.
        InterruptError: SIGINT/SIGTERM; the array was cancelled first.
    """
    config_path = opts.config or default_config_path(sched.conf_name)
    if config_path is None:
        raise UsageError(f"no --config given and conf/{sched.conf_name} is missing")
    cfg = read_config(config_path)
    runner = sched.node_runner(opts.nodes)
    args = scheduler_args(cfg, opts, map_nodes=sched.config_maps_nodes)
    array_args, index_to_job = sched.array_args(
        ids, opts.max_jobs_run, "max_jobs_run" in cfg.names()
    )
    qdir = queue_dir(jobs.log_template, jobs.var)
    stem = script_stem(jobs.log_template, jobs.var)
    script = os.path.join(qdir, f"{stem}.sh")
    write_task_script(
        script, jobs, index_to_job, sched.index_var, sched.array_var, sched.name,
        opts.num_threads, prog, runner,
    )
    argv = (
        cfg.command + args + opts.passthrough + array_args
        + sched.output_args(os.path.abspath(qdir), stem) + [os.path.abspath(script)]
    )
    job_id: Optional[str] = None
    with raise_on_signals():
        try:
            job_id = _submit(sched, argv)
            codes = wait_for_done(
                qdir, job_id, ids, lambda: sched.queued(job_id, ids),
                poll_min_s, poll_max_s, grace_s,
            )
        except InterruptError:
            ignore_signals()
            if job_id is not None:
                print(f"{prog}: interrupted; cancelling {sched.name} job {job_id}", file=sys.stderr)
                sched.cancel(job_id)
            raise
    lost = [job_id_ for job_id_, code in codes.items() if code is None]
    if lost:
        about = sched.describe_lost(job_id, lost)
        for job in lost:
            what = about.get(job, "no details from the scheduler")
            note = (
                f"{prog}: job {job} ({sched.name} job {job_id}) ended without writing its exit "
                f"code ({what}); scheduler output is under {qdir}/"
            )
            print(note, file=sys.stderr)
            try:
                with open(jobs.log_for(job), "a", encoding="utf-8") as handle:
                    handle.write(f"# {note}\n")
            except OSError:
                pass
    return codes
