"""utils/run.pl: Kaldi job arrays on this machine (logs, failures, --pick failed, caps, signals)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from Process_Data.jobs.local import cpu_count


def run_pl(repo: Path, cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run utils/run.pl with ``args`` in ``cwd``."""
    return subprocess.run(
        [str(repo / "utils" / "run.pl"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def lines(path: Path) -> list:
    return path.read_text().splitlines()


def check_log_shape(log: Path, command: str, code: int) -> None:
    """Kaldi's log shape: command and start first, accounting and exit code last."""
    text = lines(log)
    assert text[0] == f"# {command}"
    assert text[1].startswith("# Started at ")
    assert text[-2].startswith("# Accounting: time=") and text[-2].endswith(" threads=1")
    assert text[-1].startswith(f"# Ended (code {code}) at ")
    assert text[-1].endswith(" seconds") and ", elapsed time " in text[-1]


def test_failing_job_reported_and_only_it_rerun(repo, recipe_env, tmp_path):
    """Job 3 of 4 fails; after fixing its cause --pick failed reruns job 3 alone."""
    (tmp_path / "marks").mkdir()
    (tmp_path / "fail.3").write_text("")  # the cause of job 3's failure
    script = "echo run >> marks/JOB; echo output of JOB; test ! -e fail.JOB"
    args = ["JOB=1:4", "exp/log/task.JOB.log", "bash", "-c", script]

    first = run_pl(repo, tmp_path, recipe_env, *args)
    assert first.returncode == 1
    assert "run.pl: 1 / 4 failed, log is in exp/log/task.3.log" in first.stderr
    for job in (1, 2, 3, 4):
        log = tmp_path / f"exp/log/task.{job}.log"
        check_log_shape(log, f'bash -c "{script.replace("JOB", str(job))}"', 1 if job == 3 else 0)
        assert f"output of {job}" in lines(log)
        assert lines(tmp_path / f"marks/{job}") == ["run"]

    (tmp_path / "fail.3").unlink()
    second = run_pl(repo, tmp_path, recipe_env, "--pick", "failed", *args)
    assert second.returncode == 0, second.stderr
    assert lines(tmp_path / "marks/3") == ["run", "run"]
    for job in (1, 2, 4):
        assert lines(tmp_path / f"marks/{job}") == ["run"], f"job {job} was rerun"
    check_log_shape(tmp_path / "exp/log/task.3.log", 'bash -c "' + script.replace("JOB", "3") + '"', 0)

    third = run_pl(repo, tmp_path, recipe_env, "--pick", "failed", *args)
    assert third.returncode == 0
    assert "already succeeded" in third.stderr
    assert all(lines(tmp_path / f"marks/{job}") == ["run"] * (2 if job == 3 else 1) for job in (1, 2, 3, 4))


def test_job_variable_substituted_everywhere(repo, recipe_env, tmp_path):
    """Any identifier works; it is replaced in the log path and in any position of any arg."""
    res = run_pl(
        repo, tmp_path, recipe_env,
        "TASK=2:3", "deep/TASK/log/x.TASK.log", "echo", "pre-TASK-post", "TASKTASK", "a TASK",
    )
    assert res.returncode == 0, res.stderr
    for job in (2, 3):
        log = tmp_path / f"deep/{job}/log/x.{job}.log"
        assert lines(log)[0] == f'# echo pre-{job}-post {job}{job} "a {job}"'
        assert f"pre-{job}-post {job}{job} a {job}" in lines(log)
    assert not (tmp_path / "deep/1").exists()


def test_single_job_form_and_pipes(repo, recipe_env, tmp_path):
    """``run.pl log cmd``: one job; a separate '|' word is a pipe, a quoted word is one arg."""
    res = run_pl(repo, tmp_path, recipe_env, "log/one.log", "echo", "a b", "|", "tr", "ab", "xy")
    assert res.returncode == 0, res.stderr
    log = tmp_path / "log/one.log"
    check_log_shape(log, 'echo "a b" | tr ab xy', 0)
    assert "x y" in lines(log)


def test_single_job_failure(repo, recipe_env, tmp_path):
    res = run_pl(repo, tmp_path, recipe_env, "log/one.log", "exit", "7")
    assert res.returncode == 1
    assert "run.pl: 1 / 1 failed, log is in log/one.log" in res.stderr
    check_log_shape(tmp_path / "log/one.log", "exit 7", 7)


def test_max_jobs_run_one_never_overlaps(repo, recipe_env, tmp_path):
    """--max-jobs-run 1: a job fails if another holds the lock dir; timestamps do not overlap."""
    script = (
        "mkdir lock || exit 9; date +%s.%N > t/JOB.start; sleep 0.2; "
        "date +%s.%N > t/JOB.end; rmdir lock"
    )
    (tmp_path / "t").mkdir()
    res = run_pl(repo, tmp_path, recipe_env, "--max-jobs-run", "1", "JOB=1:4", "log/t.JOB.log",
                 "bash", "-c", script)
    assert res.returncode == 0, res.stderr
    spans = sorted(
        (float((tmp_path / f"t/{j}.start").read_text()), float((tmp_path / f"t/{j}.end").read_text()))
        for j in (1, 2, 3, 4)
    )
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start


@pytest.mark.skipif(cpu_count() < 2, reason="needs 2 CPUs to show two jobs running at once")
def test_two_jobs_run_together_when_allowed(repo, recipe_env, tmp_path):
    """Each job waits (up to 20 s) for the other one to start: only passes if they overlap."""
    # A script file: inside the Kaldi-quoted "bash -c ..." word, $(...) would be expanded
    # once by the outer shell.
    (tmp_path / "barrier.sh").write_text(
        'touch "here.$1"\n'
        "for _ in $(seq 200); do\n"
        "  [ \"$(ls here.* | wc -l)\" -ge 2 ] && exit 0\n"
        "  sleep 0.1\n"
        "done\n"
        "exit 3\n"
    )
    res = run_pl(repo, tmp_path, recipe_env, "--max-jobs-run", "2", "JOB=1:2", "log/t.JOB.log",
                 "bash", "barrier.sh", "JOB")
    assert res.returncode == 0, res.stderr


def test_gpus_assigned_one_per_running_job(repo, recipe_env, tmp_path):
    """With GPUs 5,6 and --gpu 1, running jobs never share a CUDA_VISIBLE_DEVICES id."""
    env = dict(recipe_env, CUDA_VISIBLE_DEVICES="5,6")
    script = (
        "echo $CUDA_VISIBLE_DEVICES > gpu.JOB; mkdir busy.$CUDA_VISIBLE_DEVICES || exit 9; "
        "sleep 0.2; rmdir busy.$CUDA_VISIBLE_DEVICES"
    )
    res = run_pl(repo, tmp_path, env, "--gpu", "1", "JOB=1:4", "log/t.JOB.log", "bash", "-c", script)
    assert res.returncode == 0, res.stderr
    used = {(tmp_path / f"gpu.{j}").read_text().strip() for j in (1, 2, 3, 4)}
    assert used <= {"5", "6"} and used


def test_gpu_requested_without_gpus_runs_one_at_a_time(repo, recipe_env, tmp_path):
    env = dict(recipe_env, CUDA_VISIBLE_DEVICES="")
    script = "mkdir lock || exit 9; echo \"[$CUDA_VISIBLE_DEVICES]\" > gpu.JOB; sleep 0.1; rmdir lock"
    res = run_pl(repo, tmp_path, env, "--gpu", "1", "JOB=1:3", "log/t.JOB.log", "bash", "-c", script)
    assert res.returncode == 0, res.stderr
    assert "no GPU found" in res.stderr
    assert {(tmp_path / f"gpu.{j}").read_text().strip() for j in (1, 2, 3)} == {"[]"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["JOB=3:1", "log/x.JOB.log", "true"], "bad job range 'JOB=3:1': start 3 > end 1"),
        (["JOB=1:x", "log/x.JOB.log", "true"], "bad job range 'JOB=1:x'"),
        (["JOB=1:4"], "missing the log file argument"),
        (["JOB=1:4", "log/x.JOB.log"], "missing the command"),
        (["JOB=1:4", "log/x.log", "true"], "put JOB in the log name"),
        (["--max-jobs-run", "0", "JOB=1:2", "log/x.JOB.log", "true"], "--max-jobs-run needs an integer >= 1"),
        (["--pick", "some", "log/x.log", "true"], "--pick must be 'failed' or 'all'"),
        (["--nmu-threads", "2", "log/x.log", "true"], "unknown option --nmu-threads"),
        (["-q", "all.q", "log/x.log", "true"], "scheduler option -q means nothing to run.pl"),
    ],
)
def test_usage_errors(repo, recipe_env, tmp_path, args, message):
    res = run_pl(repo, tmp_path, recipe_env, *args)
    assert res.returncode != 0
    assert message in res.stderr
    assert "Usage: run.pl" in res.stderr and "e.g.:" in res.stderr
    assert not (tmp_path / "log").exists()


def test_no_arguments_prints_usage(repo, recipe_env, tmp_path):
    res = run_pl(repo, tmp_path, recipe_env)
    assert res.returncode == 1 and "Usage: run.pl" in res.stderr


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_sigterm_kills_running_jobs(repo, recipe_env, tmp_path):
    """TERM to run.pl kills its jobs; their logs end with code 143; run.pl exits 143."""
    n_jobs = min(2, cpu_count())  # all of them must be running when the signal comes
    proc = subprocess.Popen(
        [str(repo / "utils/run.pl"), f"JOB=1:{n_jobs}", "log/t.JOB.log", "bash", "-c",
         "echo $$ > pid.JOB; exec sleep 60"],
        cwd=tmp_path, env=recipe_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    pid_files = [tmp_path / f"pid.{job}" for job in range(1, n_jobs + 1)]
    deadline = time.time() + 30
    while not all(p.exists() and p.read_text().strip() for p in pid_files):
        assert time.time() < deadline, "jobs did not start"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "interrupted by SIGTERM" in err
    for job, pid_file in enumerate(pid_files, 1):
        pid = int(pid_file.read_text())
        deadline = time.time() + 10  # a killed grandchild may linger until init reaps it
        while alive(pid):
            assert time.time() < deadline, f"job {job} (pid {pid}) still runs"
            time.sleep(0.05)
        assert lines(tmp_path / f"log/t.{job}.log")[-1].startswith("# Ended (code 143) at ")


def test_runs_on_bare_python_without_site_packages(repo, recipe_env, tmp_path):
    """The backends are standard-library only: -I -S hides the venv and PYTHONPATH."""
    res = subprocess.run(
        [sys.executable, "-I", "-S", str(repo / "utils/run.pl"), "JOB=1:2", "log/t.JOB.log",
         "echo", "ok", "JOB"],
        cwd=tmp_path, env=recipe_env, capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert "ok 2" in lines(tmp_path / "log/t.2.log")
