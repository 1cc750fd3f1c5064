"""Entry point shared by ``utils/run.pl``, ``utils/slurm.pl`` and ``utils/queue.pl``.

Exit status: 0 when every job succeeded (or none needed rerunning with ``--pick failed``);
1 on a usage error, a failed submission, or when any job failed, after printing
``<prog>: <n> / <M> failed, log is in <log of the first failed job>``; 128+N when stopped by
signal N (running jobs are killed, a scheduled array is cancelled).

Example:
    >>> main("run.pl", ["JOB=x", "log", "true"])
    1
"""

from __future__ import annotations

import sys
from typing import Dict, List, Optional

from Process_Data.jobs.batch import SubmitError, run_scheduled
from Process_Data.jobs.local import run_local
from Process_Data.jobs.logs import pick_jobs
from Process_Data.jobs.options import COMMON_OPTIONS, UsageError, parse_command_line
from Process_Data.jobs.sge import SgeScheduler
from Process_Data.jobs.signals import InterruptError
from Process_Data.jobs.slurm import SlurmScheduler

BACKENDS = {"run.pl": None, "slurm.pl": SlurmScheduler, "queue.pl": SgeScheduler}

USAGE = """Usage: {prog} [options] [JOB=1:N] <log-file> <command> [<args>...]
 e.g.: {prog} --max-jobs-run 4 JOB=1:10 exp/log/extract.JOB.log \\
         python -m TrainAndTest.bin.extract data/split10/JOB exp/xvector.JOB.ark
Runs the command once per job id, with JOB (any identifier: TASK=1:4) replaced by the id in
the log name and in the command. The words are joined as Kaldi does (a word with spaces is
quoted) and run through bash, so write pipes as separate words or use bash -c '...'. Each
log starts with the command and start time and ends with the exit code and elapsed time.
{where}
Options:
  --max-jobs-run N   at most N jobs at once
  --num-threads N    CPU threads per job (default 1){threads_note}
  --mem SIZE         memory per job, e.g. 4G{sched_note}
  --gpu N            GPUs per job (default 0){gpu_note}
  --nodes N          run the command once on each of N nodes{nodes_note}
  --time T           time limit per job{sched_note}
  --config FILE      {config_note}
  --pick failed|all  rerun only jobs whose log does not end in '# Ended (code 0)' (default all)
"""

_WHERE = {
    "run.pl": "Jobs run on this machine, at most one per CPU (one per GPU with --gpu).",
    "slurm.pl": "Jobs are submitted as one 'sbatch --array' and waited for; options are mapped\n"
    "by the config file (Kaldi's 'option name=* args $0' lines; an option it does not describe\n"
    "is an error); '-x value' passes through to sbatch.",
    "queue.pl": "Jobs are submitted as one 'qsub -t 1-N' (Grid Engine) and waited for; options\n"
    "are mapped by the config file (Kaldi's 'option name=* args $0' lines; an option it does\n"
    "not describe is an error); '-x value' passes through to qsub.",
}


_NODES_NOTE = {
    "run.pl": " (only 1: this machine is one node)",
    "slurm.pl": ",\n                     one srun task per node (needs a 'nodes' line in the config)",
    "queue.pl": " (only 1: Grid Engine jobs run on one node here)",
}


def usage(prog: str) -> str:
    """The usage text of one backend."""
    local = prog == "run.pl"
    conf = "conf/slurm.conf" if prog == "slurm.pl" else "conf/queue.conf"
    return USAGE.format(
        prog=prog,
        where=_WHERE.get(prog, ""),
        threads_note="; the CPU count / N jobs run at once" if local else "",
        sched_note=" (ignored by run.pl)" if local else "",
        gpu_note="; each job gets its own CUDA_VISIBLE_DEVICES" if local else "",
        nodes_note=_NODES_NOTE[prog],
        config_note="backend config (ignored by run.pl)" if local
        else f"backend config (default: the repository's {conf})",
    )


def main(prog: str, argv: List[str], env: Optional[Dict[str, str]] = None) -> int:
    """Run one backend's command line and return the exit status.

    Args:
        prog: ``"run.pl"``, ``"slurm.pl"`` or ``"queue.pl"``.
        argv: the arguments after the program name.
        env: environment for local jobs (default ``os.environ``).

    Returns:
        The process exit status (see the module docstring).
    """
    if prog not in BACKENDS:
        raise ValueError(f"unknown backend {prog!r} (valid: {' '.join(BACKENDS)})")
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(prog), file=sys.stderr)
        return 1
    scheduler = BACKENDS[prog]
    try:
        opts, jobs = parse_command_line(
            argv, prog, allowed=COMMON_OPTIONS if scheduler is None else None
        )
        if scheduler is None and opts.passthrough:
            raise UsageError(f"scheduler option {opts.passthrough[0]} means nothing to run.pl")
        if scheduler is None and (opts.nodes or 1) > 1:
            raise UsageError(
                f"--nodes {opts.nodes}: run.pl runs jobs on this machine only; multi-node "
                "jobs need slurm.pl (cmd.sh: backend=slurm)"
            )
        ids = pick_jobs(jobs, opts.pick)
        if not ids:
            print(
                f"{prog}: all {len(jobs.ids())} job(s) already succeeded "
                f"(--pick failed): nothing to run",
                file=sys.stderr,
            )
            return 0
        if scheduler is None:
            codes = run_local(jobs, opts, ids, prog=prog, env=env)
        else:
            codes = run_scheduled(scheduler(), jobs, opts, ids, prog)
    except UsageError as err:
        print(f"{prog}: error: {err}\n\n{usage(prog)}", file=sys.stderr)
        return 1
    except SubmitError as err:
        print(f"{prog}: submission failed: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 1
    except InterruptError as err:
        print(f"{prog}: {err}; running jobs were stopped", file=sys.stderr)
        return 128 + err.signum
    failed = [job_id for job_id in ids if codes.get(job_id) != 0]
    if failed:
        print(
            f"{prog}: {len(failed)} / {len(ids)} failed, log is in {jobs.log_for(failed[0])}",
            file=sys.stderr,
        )
        return 1
    return 0
