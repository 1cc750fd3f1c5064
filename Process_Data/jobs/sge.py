"""Grid Engine backend (``queue.pl``): one ``qsub -t 1-K`` per call, polled with ``qstat``.

SGE task ids must form a range starting at 1, so task index i runs the i-th selected job
id (the script maps them). ``--max-jobs-run N`` becomes ``-tc N`` unless the config maps it.

Example:
    >>> SgeScheduler().array_args([3, 7], 1, False)
    (['-t', '1-2', '-tc', '1'], {1: 3, 2: 7})
    >>> SgeScheduler().parse_job_id('Your job-array 4242.1-2:1 ("x") has been submitted')
    '4242'
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

from Process_Data.jobs.batch import Scheduler, SubmitError, query


class SgeScheduler(Scheduler):
    """qsub/qstat/qdel."""

    name = "sge"
    conf_name = "queue.conf"
    index_var = "SGE_TASK_ID"
    array_var = "JOB_ID"

    def array_args(
        self, ids: List[int], max_jobs_run: Optional[int], throttle_in_config: bool
    ) -> Tuple[List[str], Dict[int, int]]:
        """``-t 1-K`` (and ``-tc N`` when the config does not map --max-jobs-run)."""
        args = ["-t", f"1-{len(ids)}"]
        if max_jobs_run and not throttle_in_config:
            args += ["-tc", str(max_jobs_run)]
        return args, {index: job_id for index, job_id in enumerate(ids, 1)}

    def output_args(self, qdir: str, stem: str) -> List[str]:
        """The job name (SGE names may not start with a digit) and its output file."""
        name = stem if not stem[:1].isdigit() else f"j{stem}"
        return ["-N", name, "-o", f"{qdir}/{stem}.$TASK_ID.out"]

    def parse_job_id(self, stdout: str) -> str:
        """``Your job-array 4242.1-4:1 ("x") ...`` or ``-terse`` ``4242.1-4:1`` -> ``4242``."""
        match = re.search(r"(?:^|job-array |job )(\d+)", stdout.strip())
        if not match:
            raise SubmitError(f"cannot read a job id from qsub's output {stdout!r}")
        return match.group(1)

    def queued(self, job_id: str, ids: List[int]) -> Optional[Set[int]]:
        """All of ``ids`` while ``qstat -j`` knows the job, none once it is gone."""
        out = query(["qstat", "-j", job_id])
        if out is None:
            return None
        if out.returncode == 0:
            return set(ids)
        return set() if "do not exist" in (out.stdout + out.stderr) else None

    def cancel(self, job_id: str) -> None:
        """``qdel <id>``."""
        query(["qdel", job_id])

    def describe_lost(self, job_id: str, ids: List[int]) -> Dict[int, str]:
        """SGE keeps nothing to ask once a job is gone (qacct may be off)."""
        return {job: "the job left the SGE queue" for job in ids}
