"""utils/queue.pl (Grid Engine) against a fake qsub/qstat/qdel on PATH.

No real SGE can be run here: the fake qsub records its arguments and runs the generated
task script once per task index with SGE's variables (SGE_TASK_ID, JOB_ID), so these tests
check the qsub command line (config option mapping, -t/-tc) and the whole task script
(index -> job mapping, logs, done files), not SGE itself.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from Process_Data.jobs.batch import run_scheduled
from Process_Data.jobs.options import JobOptions, UsageError, parse_command_line
from Process_Data.jobs.sge import SgeScheduler

FAKE_QSUB = r"""#!/usr/bin/env bash
# Fake qsub: record the arguments, run each task of '-t 1-K' unless listed in $FAKE_SKIP.
printf '%s\n' "$@" > "$FAKE_DIR/qsub.$(date +%s%N).args"
range=""; prev=""
for a in "$@"; do [ "$prev" = "-t" ] && range=$a; prev=$a; done
script=${!#}
last=${range#*-}
if [ "${FAKE_RUN:-yes}" = yes ]; then
  for i in $(seq "${range%-*}" "$last"); do
    case " ${FAKE_SKIP:-} " in *" $i "*) continue ;; esac
    SGE_TASK_ID=$i JOB_ID=4242 bash "$script" >/dev/null 2>&1
  done
fi
echo "Your job-array 4242.$range:1 (\"x\") has been submitted"
"""

FAKE_QSTAT = r"""#!/usr/bin/env bash
if [ "${FAKE_RUN:-yes}" = yes ]; then echo "Following jobs do not exist: $2" >&2; exit 1; fi
echo "$2" >> "$FAKE_DIR/qstat.calls"
echo "job_number: $2"
"""

FAKE_QDEL = r"""#!/usr/bin/env bash
echo "$@" >> "$FAKE_DIR/qdel.calls"
"""


@pytest.fixture
def fake_sge(tmp_path, recipe_env):
    """Env with fake qsub/qstat/qdel first on PATH; their records go to tmp_path/fake."""
    bin_dir, rec = tmp_path / "bin", tmp_path / "fake"
    bin_dir.mkdir()
    rec.mkdir()
    for name, text in (("qsub", FAKE_QSUB), ("qstat", FAKE_QSTAT), ("qdel", FAKE_QDEL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = dict(recipe_env, FAKE_DIR=str(rec))
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return env


def qsub_calls(tmp_path: Path) -> list:
    """Argument lists of every fake qsub call, oldest first."""
    return [p.read_text().splitlines() for p in sorted((tmp_path / "fake").glob("qsub.*.args"))]


def queue_pl(repo, cwd, env, *args, **kw):
    return subprocess.run([str(repo / "utils/queue.pl"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, **kw)


def test_array_failure_and_pick_failed(repo, fake_sge, tmp_path):
    """JOB=1:4 with job 3 failing: qsub options from conf/queue.conf, logs, rerun of 3 only."""
    (tmp_path / "fail.3").write_text("")
    args = ["JOB=1:4", "exp/log/task.JOB.log", "bash", "-c",
            "echo run >> mark.JOB; test ! -e fail.JOB"]
    res = queue_pl(repo, tmp_path, fake_sge, "--mem", "2G", "--num-threads", "2",
                   "--max-jobs-run", "2", "-q", "all.q", *args)
    assert res.returncode == 1
    assert "queue.pl: 1 / 4 failed, log is in exp/log/task.3.log" in res.stderr
    (call,) = qsub_calls(tmp_path)
    qdir = tmp_path / "exp/log/q"
    assert call == [
        "-v", "PATH", "-cwd", "-S", "/bin/bash", "-j", "y", "-l", "arch=*64*",
        "-l", "mem_free=2G,ram_free=2G", "-pe", "smp", "2", "-tc", "2",
        "-q", "all.q", "-t", "1-4", "-N", "task", "-o", f"{qdir}/task.$TASK_ID.out",
        str(qdir / "task.sh"),
    ]
    for job in (1, 2, 3, 4):
        log = (tmp_path / f"exp/log/task.{job}.log").read_text().splitlines()
        assert log[0] == f'# bash -c "echo run >> mark.{job}; test ! -e fail.{job}"'
        assert log[1].startswith("# Started at ")
        assert log[2].endswith(f"as sge job 4242_{job}")
        assert log[-2].startswith("# Accounting: time=") and log[-2].endswith("threads=2")
        assert log[-1].startswith(f"# Ended (code {1 if job == 3 else 0}) at ")
        assert (qdir / f"done.4242.{job}").read_text().strip() == str(1 if job == 3 else 0)

    (tmp_path / "fail.3").unlink()
    res = queue_pl(repo, tmp_path, fake_sge, "--pick", "failed", *args)
    assert res.returncode == 0, res.stderr
    second = qsub_calls(tmp_path)[-1]
    assert second[second.index("-t") + 1] == "1-1"  # task 1 of the new array is job 3
    assert [(tmp_path / f"mark.{j}").read_text().count("run") for j in (1, 2, 3, 4)] == [1, 1, 2, 1]


def test_option_mapping_from_config(repo, fake_sge, tmp_path):
    """Exact values win over '*', defaults apply, $0 is substituted inside a word."""
    conf = tmp_path / "my.conf"
    conf.write_text(
        "# site config\n"
        "command qsub -V   # export everything\n"
        "option gpu=* -l gpu=$0 -q g.q\n"
        "option gpu=0\n"
        "default gpu=0\n"
        "option mem=* -l h_vmem=$0\n"
        "option max_jobs_run=* -tc $0 -p -10\n"
    )
    args = ["--config", str(conf), "JOB=1:2", "log/t.JOB.log", "true"]
    assert queue_pl(repo, tmp_path, fake_sge, *args).returncode == 0
    assert queue_pl(repo, tmp_path, fake_sge, "--gpu", "2", "--mem", "3G", "--max-jobs-run", "1",
                    *args).returncode == 0
    plain, gpu = qsub_calls(tmp_path)
    assert plain[:4] == ["-V", "-t", "1-2", "-N"]
    assert gpu[:12] == ["-V", "-l", "gpu=2", "-q", "g.q", "-l", "h_vmem=3G", "-tc", "1",
                        "-p", "-10", "-t"]


@pytest.mark.parametrize(
    "conf_text, args, message",
    [
        ("command qsub\n", ["--mem", "1G"], "option --mem is not described in"),
        ("command qsub\noption gpu=0\n", ["--gpu", "1"], "--gpu 1: {conf} only allows 0"),
        ("command qsub\nopton mem=* -l m=$0\n", [], "{conf}:2: expected 'command"),
        ("option mem=* -l m=$0\n", [], "{conf}: no 'command' line"),
    ],
)
def test_config_errors(repo, fake_sge, tmp_path, conf_text, args, message):
    conf = tmp_path / "bad.conf"
    conf.write_text(conf_text)
    res = queue_pl(repo, tmp_path, fake_sge, "--config", str(conf), *args, "JOB=1:2",
                   "log/t.JOB.log", "true")
    assert res.returncode == 1
    assert message.format(conf=conf) in res.stderr
    assert qsub_calls(tmp_path) == []


def test_missing_config_file(repo, fake_sge, tmp_path):
    res = queue_pl(repo, tmp_path, fake_sge, "--config", "nope.conf", "log/t.log", "true")
    assert res.returncode == 1 and "cannot read config file nope.conf" in res.stderr


def test_task_lost_without_exit_code(fake_sge, tmp_path, monkeypatch):
    """A task that never writes its done file is reported once qstat no longer knows the job."""
    monkeypatch.chdir(tmp_path)
    for key in ("PATH", "FAKE_DIR"):
        monkeypatch.setenv(key, fake_sge[key])
    monkeypatch.setenv("FAKE_SKIP", "2")
    opts, jobs = parse_command_line(["JOB=1:3", "log/t.JOB.log", "true"], "queue.pl", None)
    codes = run_scheduled(SgeScheduler(), jobs, opts, jobs.ids(), "queue.pl",
                          poll_min_s=0.05, grace_s=0.2)
    assert codes == {1: 0, 2: None, 3: 0}
    assert "job 2 (sge job 4242) ended without writing its exit code" in (
        tmp_path / "log/t.2.log").read_text()


def test_unknown_option_without_config_mapping_raises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.conf").write_text("command qsub\n")
    opts = JobOptions({"config": "c.conf", "time": "1:00:00"})
    _, jobs = parse_command_line(["log/t.log", "true"], "queue.pl", None)
    with pytest.raises(UsageError, match="--time is not described in c.conf"):
        run_scheduled(SgeScheduler(), jobs, opts, [1], "queue.pl")


def test_sigterm_cancels_the_array(repo, fake_sge, tmp_path):
    """TERM while waiting: queue.pl calls qdel on the array and exits 143."""
    env = dict(fake_sge, FAKE_RUN="no")  # qsub queues nothing, qstat keeps saying "queued"
    proc = subprocess.Popen([str(repo / "utils/queue.pl"), "JOB=1:2", "log/t.JOB.log", "true"],
                            cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (tmp_path / "fake/qstat.calls").exists():  # queue.pl is in its wait loop
        assert time.time() < deadline, "queue.pl never polled qstat"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert (tmp_path / "fake/qdel.calls").read_text().split() == ["4242"]
