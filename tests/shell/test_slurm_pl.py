"""utils/slurm.pl against a real Slurm on this host (started by tests/shell/start_slurm.sh).

The session fixture installs and starts Slurm when ``sbatch`` is missing and we are root
(as CI is); elsewhere the tests skip with the starter's reason. The cluster has two node
entries on this one host (multiple-slurmd mode), so ``--nodes 2`` jobs run for real: srun
starts one task on each node, and ``steps/train.sh --nnodes 2`` trains across them.
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


# --- multi-node jobs (--nodes N: srun, one task per node) ---------------------------------

TINY_LSTM = {
    "model": "lstm",
    "model_conf": {"embed_dim": 16, "hidden": 32, "proj": 0, "layers": 1},
    "loss": "aam_softmax",
    "loss_conf": {"margin": 0.1, "scale": 16},
    "optimizer": "adam",
    "optimizer_conf": {"lr": 0.003},
    "scheduler": "warmup_exponential",
    "scheduler_conf": {"warmup_epochs": 0.5, "final_lr": 0.001},
    "data": "synthetic",
    "data_conf": {
        "num_speakers": 16, "utts_per_speaker": 16, "feat_dim": 20, "batch_size": 32,
        "min_frames": 40, "max_frames": 60, "num_valid": 64,
    },
    "train_conf": {"epochs": 1, "seed": 3, "log_interval": 4, "keep_last": 2, "average_last": 2},
}


@pytest.fixture
def two_nodes(slurm) -> list:
    """The test cluster's node names; skips when it has fewer than two."""
    out = subprocess.run(["sinfo", "-h", "-N", "-o", "%N"], capture_output=True, text=True,
                         timeout=30)
    names = sorted(set(out.stdout.split()))
    if len(names) < 2:
        pytest.skip(f"the test Slurm has {len(names)} node(s); start_slurm.sh --nodes 2 needs "
                    "Slurm's multiple-slurmd mode")
    return names


def job_record(job_id: str) -> str:
    out = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def write_tiny_config(tmp_path: Path) -> Path:
    import yaml

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY_LSTM))
    return path


def test_two_node_job_runs_the_command_once_per_node(two_nodes, recipe_env, tmp_path):
    """--nodes 2: sbatch asks for 2 nodes x 1 task, the script runs srun, each node runs once."""
    res = slurm_pl(tmp_path, recipe_env, "--nodes", "2", "--num-threads", "2", "log/multi.log",
                   "bash", "-c", "echo node=$SLURM_NODEID on=$SLURMD_NODENAME "
                   "of=$SLURM_NNODES list=$SLURM_JOB_NODELIST cpus=$SLURM_CPUS_PER_TASK")
    assert res.returncode == 0, res.stderr
    script = (tmp_path / "log/q/multi.sh").read_text()
    assert ("srun --nodes=2 --ntasks=2 --ntasks-per-node=1 --kill-on-bad-exit=1 --label "
            "${SLURM_CPUS_PER_TASK:+--cpus-per-task=$SLURM_CPUS_PER_TASK} bash -c \"$cmd\"") in script
    ((array_id, _),) = done_files(tmp_path / "log/q")
    record = job_record(array_id)
    assert "NumNodes=2 " in record and "NumTasks=2 " in record, record
    log = (tmp_path / "log/multi.log").read_text().splitlines()
    lines = sorted(line for line in log if " node=" in line and not line.startswith("#"))
    assert len(lines) == 2, log
    assert [line.split()[0] for line in lines] == ["0:", "1:"]
    assert {line.split()[2] for line in lines} == {f"on={n}" for n in two_nodes[:2]}
    assert all(" of=2 " in line and line.endswith("cpus=2") for line in lines)
    assert log[-1].startswith("# Ended (code 0) at ")


def test_two_node_failure_stops_the_other_node_and_names_its_log(two_nodes, recipe_env, tmp_path):
    """A worker failing on node 1 ends the job at once (srun --kill-on-bad-exit), not after
    torchrun's 300 s exit barrier; the node logs say which node failed."""
    script = tmp_path / "fail_on_node1.py"
    script.write_text("import os, sys\nsys.exit(3 if os.environ['SLURM_NODEID'] == '1' else 0)\n")
    res = slurm_pl(tmp_path, recipe_env, "--nodes", "2", "exp/log/train.log",
                   "python", "-m", "TrainAndTest.bin.launch_node", "--nnodes", "2",
                   "--nproc-per-node", "1", "--log-dir", "exp/log", "--", str(script))
    assert res.returncode == 1 and "log is in exp/log/train.log" in res.stderr
    log = (tmp_path / "exp/log/train.log").read_text()
    assert "launch_node: node 1 of 2 (" in log and "log is in exp/log/train.node1.log" in log
    node1 = (tmp_path / "exp/log/train.node1.log").read_text().splitlines()
    assert node1[-1].startswith("# Ended (code 1) at ")
    node0 = (tmp_path / "exp/log/train.node0.log").read_text().splitlines()
    assert not node0[-1].startswith("# Ended (code 0) ")  # stopped by srun


def test_one_node_job_trains_with_torchrun_under_srun(slurm, recipe_env, tmp_path):
    """--nodes 1: the launcher under srun starts torchrun (c10d, 2 processes) and trains."""
    cfg = write_tiny_config(tmp_path)
    res = slurm_pl(tmp_path, recipe_env, "--nodes", "1", "--num-threads", "2", "exp/log/train.log",
                   "python", "-m", "TrainAndTest.bin.launch_node", "--nnodes", "1",
                   "--nproc-per-node", "2", "--log-dir", "exp/log", "--",
                   "-m", "TrainAndTest.bin.train", "--config", str(cfg), "--exp-dir", "exp")
    assert res.returncode == 0, res.stderr + (tmp_path / "exp/log/train.log").read_text()[-3000:]
    assert "srun --nodes=1 --ntasks=1 " in (tmp_path / "exp/log/q/train.sh").read_text()
    assert (tmp_path / "exp/final.pt").is_file()
    node0 = (tmp_path / "exp/log/train.node0.log").read_text().splitlines()
    assert "torch.distributed.run" in node0[0] and "--nnodes 1" in node0[0]
    assert node0[-1].startswith("# Ended (code 0) at ")
    for rank in (0, 1):
        assert "world size 2" in (tmp_path / f"exp/log/train.rank{rank}.log").read_text()


def test_train_sh_two_nodes_through_slurm(two_nodes, recipe_env, tmp_path):
    """steps/train.sh --nnodes 2 with slurm.pl: one 2-node job, an agent per node, one epoch;
    the rendezvous host is the first node's NodeAddr (both nodes live on 127.0.0.1)."""
    cfg = write_tiny_config(tmp_path)
    for name in ("utils", "steps", "path.sh", "conf"):
        (tmp_path / name).symlink_to(REPO / name)
    env = dict(recipe_env, OMP_NUM_THREADS="1")
    res = subprocess.run(["steps/train.sh", "--cmd", "slurm.pl", "--nnodes", "2", "--nproc", "1",
                          str(cfg), "exp/tiny"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    log_dir = tmp_path / "exp/tiny/log"
    assert res.returncode == 0, res.stderr + (log_dir / "train.log").read_text()[-3000:]
    assert (tmp_path / "exp/tiny/final.pt").is_file()
    (endpoint,) = [p.read_text().strip() for p in log_dir.glob("rendezvous.*")]
    assert endpoint.startswith("127.0.0.1:")
    for node in (0, 1):
        log = (log_dir / f"train.node{node}.log").read_text().splitlines()
        assert log[2].startswith(f"# node {node} of 2 on ")
        assert log[-1].startswith("# Ended (code 0) at ")
    for rank in (0, 1):
        assert "world size 2" in (log_dir / f"train.rank{rank}.log").read_text()
    assert "NumNodes=2 " in job_record(next((log_dir / "q").glob("done.*")).name.split(".")[1])


def test_train_sh_two_nodes_cancelled_then_same_command_resumes(two_nodes, recipe_env, tmp_path):
    """scancel a 2-node training job in epoch 2; the same train.sh command resumes every rank
    from epoch 1's checkpoint and finishes."""
    import yaml

    cfg = tmp_path / "tiny.yaml"
    longer = dict(TINY_LSTM, train_conf=dict(TINY_LSTM["train_conf"], epochs=2, log_interval=1),
                  data_conf=dict(TINY_LSTM["data_conf"], utts_per_speaker=48))
    cfg.write_text(yaml.safe_dump(longer))
    for name in ("utils", "steps", "path.sh", "conf"):
        (tmp_path / name).symlink_to(REPO / name)
    env = dict(recipe_env, OMP_NUM_THREADS="1")
    cmd = ["steps/train.sh", "--cmd", "slurm.pl", "--nnodes", "2", "--nproc", "1", str(cfg),
           "exp/tiny"]
    log_dir = tmp_path / "exp/tiny/log"
    first = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    rank0 = log_dir / "train.rank0.log"
    while not (rank0.exists() and "epoch 2 step 3/" in rank0.read_text()):
        assert first.poll() is None, first.communicate()
        assert time.time() < deadline
        time.sleep(0.2)
    header = (log_dir / "train.log").read_text().splitlines()[2]
    job_id = header.rsplit(" ", 1)[1].split("_")[0]
    subprocess.run(["scancel", job_id], check=True, timeout=30)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 1 and "training failed, log is in exp/tiny/log/train.log" in err
    assert not (tmp_path / "exp/tiny/final.pt").exists()
    assert (tmp_path / "exp/tiny/checkpoints/epoch_1.pt").exists()

    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr + (log_dir / "train.log").read_text()[-3000:]
    for rank in (0, 1):
        text = (log_dir / f"train.rank{rank}.log").read_text()
        assert "resumed from exp/tiny/checkpoints/epoch_1.pt (epoch 1)" in text, text[-2000:]
    import torch

    state = torch.load(tmp_path / "exp/tiny/checkpoints/epoch_2.pt", weights_only=False)
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    assert (tmp_path / "exp/tiny/final.pt").is_file()
