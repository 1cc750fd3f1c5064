"""Slurm backend (``slurm.pl``): one ``sbatch --array`` per call, polled with ``squeue``.

Array task ids are the job ids themselves (``JOB=1:4`` -> ``--array=1-4``, ``--pick
failed`` -> e.g. ``--array=3``), throttled with ``%N`` by ``--max-jobs-run N``. Accounting
may be off, so nothing relies on ``sacct``: exit codes come from the tasks' done files, and
``scontrol show job`` explains tasks that ended without one.

``--nodes N`` (mapped by ``conf/slurm.conf``, e.g. ``option nodes=* --nodes=$0
--ntasks=$0``) asks for N nodes per task and runs the command under ``srun``, once per node
(one task per node); the command reads ``SLURM_NODEID`` and ``SLURM_JOB_NODELIST`` to find
its place. A failure on any node ends the others (``--kill-on-bad-exit``) and the job.

Example:
    >>> SlurmScheduler().array_args([1, 2, 4], 2, False)
    (['--array=1-2,4%2'], {1: 1, 2: 2, 4: 4})
    >>> SlurmScheduler().parse_job_id("1234;cluster\\n")
    '1234'
    >>> SlurmScheduler().node_runner(None)
    ''
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

from Process_Data.jobs.batch import Scheduler, SubmitError, compress_ids, query

#: squeue states of a task that has not finished yet.
ACTIVE_STATES = {
    "PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING", "REQUEUED",
    "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED",
}


class SlurmScheduler(Scheduler):
    """sbatch/squeue/scontrol/scancel."""

    name = "slurm"
    conf_name = "slurm.conf"
    index_var = "SLURM_ARRAY_TASK_ID"
    array_var = "SLURM_ARRAY_JOB_ID"
    config_maps_nodes = True

    def node_runner(self, nodes: Optional[int]) -> str:
        """``srun`` with one task per node when ``--nodes`` is given, else nothing.

        Slurm 22.05 steps do not inherit ``--cpus-per-task`` from the batch job (22.05-23.02
        ignore ``SLURM_CPUS_PER_TASK`` in srun), so it is passed on explicitly; otherwise a
        site with CPU binding would pin each node's whole training to one core. ``--label``
        prefixes each line of the combined log with its node's task number.
        """
        if nodes is None:
            return ""
        return (
            f"srun --nodes={nodes} --ntasks={nodes} --ntasks-per-node=1 --kill-on-bad-exit=1 "
            "--label ${SLURM_CPUS_PER_TASK:+--cpus-per-task=$SLURM_CPUS_PER_TASK} "
        )

    def array_args(
        self, ids: List[int], max_jobs_run: Optional[int], throttle_in_config: bool
    ) -> Tuple[List[str], Dict[int, int]]:
        """``--array=<ids>[%N]``; the task index is the job id."""
        spec = compress_ids(ids) + (f"%{max_jobs_run}" if max_jobs_run else "")
        return [f"--array={spec}"], {job_id: job_id for job_id in ids}

    def output_args(self, qdir: str, stem: str) -> List[str]:
        """``--parsable``, the job name and ``q/<stem>.<array>_<task>.out``."""
        return ["--parsable", "-J", stem, "-o", f"{qdir}/{stem}.%A_%a.out"]

    def parse_job_id(self, stdout: str) -> str:
        """``1234`` or ``1234;cluster`` -> ``1234``."""
        text = stdout.strip().splitlines()[-1] if stdout.strip() else ""
        job_id = text.split(";")[0].strip()
        if not job_id.isdigit():
            raise SubmitError(f"cannot read a job id from sbatch's output {stdout!r}")
        return job_id

    def queued(self, job_id: str, ids: List[int]) -> Optional[Set[int]]:
        """Tasks of the array that squeue lists in an active state."""
        out = query(["squeue", "-h", "-r", "-j", job_id, "-o", "%K %T"])
        if out is None:
            return None
        if out.returncode != 0:
            return set() if "Invalid job id" in out.stderr else None
        active = set()
        for line in out.stdout.splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0].isdigit() and fields[1] in ACTIVE_STATES:
                active.add(int(fields[0]))
        return active

    def cancel(self, job_id: str) -> None:
        """``scancel <id>``."""
        query(["scancel", job_id])

    def describe_lost(self, job_id: str, ids: List[int]) -> Dict[int, str]:
        """State and exit code of each task from ``scontrol show job``."""
        out = query(["scontrol", "show", "job", job_id])
        if out is None or out.returncode != 0:
            return {}
        about = {}
        for record in re.split(r"\n\s*\n", out.stdout):
            task = re.search(r"\bArrayTaskId=(\d+)\b", record)
            state = re.search(r"\bJobState=(\S+)", record)
            code = re.search(r"\bExitCode=(\S+)", record)
            if task and int(task.group(1)) in ids:
                about[int(task.group(1))] = (
                    f"state {state.group(1) if state else '?'}, "
                    f"ExitCode {code.group(1) if code else '?'}"
                )
        return about
