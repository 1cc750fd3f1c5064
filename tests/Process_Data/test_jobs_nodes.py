"""--nodes across the job backends, and Slurm node lists (Process_Data.jobs.nodelist).

No scheduler is needed: the node-list parser is checked on known expansions, run.pl and
queue.pl on their refusals (before anything is submitted), and slurm.pl's task script is
written without submitting it. tests/shell/test_slurm_pl.py runs --nodes jobs on a real Slurm.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from Process_Data.jobs.batch import scheduler_args, write_task_script
from Process_Data.jobs.config import parse_config_text, read_config
from Process_Data.jobs.nodelist import NodeListError, expand_nodelist
from Process_Data.jobs.options import UsageError, parse_command_line
from Process_Data.jobs.sge import SgeScheduler
from Process_Data.jobs.slurm import SlurmScheduler

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, hosts", [
    ("host1", ["host1"]),
    ("a,b,c", ["a", "b", "c"]),
    ("node[1-3]", ["node1", "node2", "node3"]),
    ("gpu[01-03,07],login2", ["gpu01", "gpu02", "gpu03", "gpu07", "login2"]),
    ("n[098-101]", ["n098", "n099", "n100", "n101"]),
    ("rack[2]-ib,rack[9-10]-ib", ["rack2-ib", "rack9-ib", "rack10-ib"]),
    ("127.0.0.[1-2]", ["127.0.0.1", "127.0.0.2"]),
])
def test_expand_nodelist_known_answers(text, hosts):
    assert expand_nodelist(text) == hosts


@pytest.mark.parametrize("text, message", [
    ("", "empty node list"),
    ("node[1-3", "unbalanced '\\['"),
    ("node1-3]", "unbalanced '\\]'"),
    ("r[1-2]n[1-2]", "only name\\[1-3,5\\]suffix forms"),
    ("node[3-1]", "runs backwards"),
    ("node[a-b]", "only name\\[1-3,5\\]suffix forms"),
    ("node[1--2]", "bad range .1--2."),
])
def test_expand_nodelist_refuses_what_it_cannot_read(text, message):
    with pytest.raises(NodeListError, match=message):
        expand_nodelist(text)


def test_nodes_option_is_validated():
    opts, _ = parse_command_line(["--nodes", "2", "log", "true"], "slurm.pl", None)
    assert opts.nodes == 2
    assert parse_command_line(["log", "true"], "run.pl")[0].nodes is None
    with pytest.raises(UsageError, match="--nodes needs an integer >= 1, got '0'"):
        parse_command_line(["--nodes", "0", "log", "true"], "run.pl")


def test_run_pl_accepts_one_node_and_refuses_more(recipe_env, tmp_path):
    run_pl = str(REPO / "utils/run.pl")
    ok = subprocess.run([run_pl, "--nodes", "1", "log/one.log", "echo", "here"], cwd=tmp_path,
                        env=recipe_env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "here" in (tmp_path / "log/one.log").read_text()
    bad = subprocess.run([run_pl, "--nodes", "2", "log/two.log", "true"], cwd=tmp_path,
                         env=recipe_env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "run.pl: error: --nodes 2: run.pl runs jobs on this machine only" in bad.stderr
    assert "backend=slurm" in bad.stderr and not (tmp_path / "log/two.log").exists()


def test_queue_pl_refuses_multi_node_before_submitting(recipe_env, tmp_path):
    res = subprocess.run([str(REPO / "utils/queue.pl"), "--nodes", "2", "log/t.log", "true"],
                         cwd=tmp_path, env=recipe_env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert "--nodes 2: the sge backend runs each job on one node only" in res.stderr
    assert SgeScheduler().node_runner(1) == "" and SgeScheduler().node_runner(None) == ""
    # --nodes 1 is not mapped by queue.conf (which does not describe it)
    opts, _ = parse_command_line(["--nodes", "1", "log", "true"], "queue.pl", None)
    cfg = read_config(str(REPO / "conf/queue.conf"))
    assert scheduler_args(cfg, opts, map_nodes=False) == scheduler_args(
        cfg, parse_command_line(["log", "true"], "queue.pl", None)[0], map_nodes=False)


def test_slurm_conf_maps_nodes_and_the_script_runs_srun(tmp_path, monkeypatch):
    cfg = read_config(str(REPO / "conf/slurm.conf"))
    two, jobs = parse_command_line(["--nodes", "2", "--gpu", "8", "log/train.log", "echo", "x"],
                                   "slurm.pl", None)
    args = scheduler_args(cfg, two)
    assert cfg.command[-1] == "--ntasks-per-node=1"
    assert args[:2] == ["--nodes=2", "--ntasks=2"] and "--gres=gpu:8" in args
    one = parse_command_line(["log/train.log", "echo", "x"], "slurm.pl", None)[0]
    assert scheduler_args(cfg, one)[:2] == ["--nodes=1", "--ntasks=1"]  # the default

    monkeypatch.chdir(tmp_path)
    sched = SlurmScheduler()
    write_task_script("log/q/train.sh", jobs, {1: 1}, sched.index_var, sched.array_var,
                      sched.name, 1, "slurm.pl", sched.node_runner(two.nodes))
    script = (tmp_path / "log/q/train.sh").read_text()
    assert "\nsrun --nodes=2 --ntasks=2 --ntasks-per-node=1 --kill-on-bad-exit=1 --label " in script
    assert sched.node_runner(None) == ""

    bare = parse_config_text("command sbatch\noption mem=* --mem $0\n", "site.conf")
    with pytest.raises(UsageError, match="option --nodes is not described in site.conf"):
        scheduler_args(bare, two)
