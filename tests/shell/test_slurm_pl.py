"""utils/slurm.pl against a real single-node Slurm (started by tests/shell/start_slurm.sh).

The session fixture installs and starts Slurm when ``sbatch`` is missing and we are root
(as CI is); elsewhere the tests skip with the starter's reason.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from Process_Data.jobs.batch import run_scheduled
from Process_Data.jobs.options import parse_command_line
from Process_Data.jobs.slurm import SlurmScheduler

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def slurm() -> float:
    """A working Slurm; returns how long bringing it up took (seconds)."""
    start = time.time()
    res = subprocess.run([str(REPO / "tests/shell/start_slurm.sh")], capture_output=True,
                         text=True, timeout=900)
    took = time.time() - start
    if res.returncode == 77:
        pytest.skip(res.stderr.strip().splitlines()[-1])
    if res.returncode != 0:
        pytest.fail(f"start_slurm.sh failed (code {res.returncode}):\n{res.stderr}")
    print(f"start_slurm.sh: {took:.1f} s\n{res.stderr}")
    return took


def slurm_pl(cwd, env, *args):
    return subprocess.run([str(REPO / "utils/slurm.pl"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def done_files(qdir: Path) -> dict:
    """{(slurm job id, job): code} from q/done.<id>.<job>."""
    out = {}
    for path in qdir.glob("done.*.*"):
        _, array_id, job = path.name.split(".")
        out[(array_id, int(job))] = int(path.read_text())
    return out


def test_array_with_failing_task_then_pick_failed(slurm, recipe_env, tmp_path):
    """JOB=1:4 through sbatch --array; task 3 fails and is reported; --pick failed reruns it."""
    (tmp_path / "fail.3").write_text("")
    args = ["JOB=1:4", "exp/log/task.JOB.log", "bash", "-c",
            "echo run >> mark.JOB; echo task JOB here; test ! -e fail.JOB"]
    res = slurm_pl(tmp_path, recipe_env, "--max-jobs-run", "2", "--mem", "100M", *args)
    assert res.returncode == 1, res.stderr
    assert "slurm.pl: 1 / 4 failed, log is in exp/log/task.3.log" in res.stderr

    qdir = tmp_path / "exp/log/q"
    first = done_files(qdir)
    (array_id,) = {a for a, _ in first}
    assert first == {(array_id, 1): 0, (array_id, 2): 0, (array_id, 3): 1, (array_id, 4): 0}
    for job in (1, 2, 3, 4):
        log = (tmp_path / f"exp/log/task.{job}.log").read_text().splitlines()
        assert log[0] == f'# bash -c "echo run >> mark.{job}; echo task {job} here; test ! -e fail.{job}"'
        assert log[1].startswith("# Started at ")
        assert log[2].endswith(f"as slurm job {array_id}_{job}")
        assert f"task {job} here" in log
        assert log[-2].startswith("# Accounting: time=") and log[-2].endswith(" threads=1")
        assert log[-1].startswith(f"# Ended (code {1 if job == 3 else 0}) at ")
    script = (qdir / "task.sh").read_text()
    assert "SLURM_ARRAY_TASK_ID" in script

    (tmp_path / "fail.3").unlink()
    res = slurm_pl(tmp_path, recipe_env, "--pick", "failed", *args)
    assert res.returncode == 0, res.stderr
    second = {k: v for k, v in done_files(qdir).items() if k[0] != array_id}
    assert [job for _, job in second] == [3] and list(second.values()) == [0]
    assert [(tmp_path / f"mark.{j}").read_text().count("run") for j in (1, 2, 3, 4)] == [1, 1, 2, 1]
    assert (tmp_path / "exp/log/task.3.log").read_text().splitlines()[-1].startswith(
        "# Ended (code 0) at ")


def test_single_job_and_threads(slurm, recipe_env, tmp_path):
    """The single-job form; --num-threads maps to --cpus-per-task and reaches the trailer."""
    res = slurm_pl(tmp_path, recipe_env, "--num-threads", "2", "log/one.log",
                   "bash", "-c", "echo cpus=$SLURM_CPUS_PER_TASK")
    assert res.returncode == 0, res.stderr
    log = (tmp_path / "log/one.log").read_text().splitlines()
    assert "cpus=2" in log
    assert log[-2].endswith(" threads=2") and log[-1].startswith("# Ended (code 0) at ")


def test_cancelled_task_is_reported(slurm, tmp_path, monkeypatch):
    """A task killed by the scheduler writes no exit code; scontrol's state is reported."""
    monkeypatch.chdir(tmp_path)
    # PART, not JOB or TASK: plain-text substitution (Kaldi's) would rewrite $SLURM_ARRAY_*_ID.
    opts, jobs = parse_command_line(
        ["PART=1:2", "log/t.PART.log", "bash", "-c",
         "[ PART = 2 ] && scancel ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}; sleep 2"],
        "slurm.pl", None)
    codes = run_scheduled(SlurmScheduler(), jobs, opts, jobs.ids(), "slurm.pl",
                          poll_min_s=0.2, grace_s=1.0)
    assert codes == {1: 0, 2: None}
    note = (tmp_path / "log/t.2.log").read_text().splitlines()[-1]
    assert "ended without writing its exit code (state CANCELLED" in note
