"""Multi-node launch path (``python -m TrainAndTest.bin.launch_node``) for real, on this machine.

Two launchers are started the way ``slurm.pl --nodes 2`` starts them under ``srun``: the
same command, each with its node rank and the job's node list in Slurm's variables. Each
starts a torchrun agent with ``--nnodes 2`` and a c10d rendezvous (gloo, CPU) whose endpoint
node 0 derives and publishes; the tiny model trains for one epoch and must match a
single-node two-process run as the DDP test of test_trainer.py requires (losses within
rel 1e-3), and its weights too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from Process_Data.jobs.torchrun import LaunchError, node_place, rendezvous_endpoint
from TrainAndTest.trainer import checkpoint_paths

# test_trainer.py's DDP case: an LSTM has no BatchNorm, so ranks with half the batch each and
# averaged gradients optimise exactly what one process with the whole batch does.
CFG = {
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
NODELIST = "127.0.0.[1-2]"  # two "nodes"; the first, 127.0.0.1, is this machine


def write_cfg(tmp_path: Path, cfg: dict) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def node_env(env: dict, node: int, job: str) -> dict:
    """What srun gives the task on node ``node`` of a 2-node step of job ``job``."""
    return dict(env, OMP_NUM_THREADS="1", SLURM_NODEID=str(node), SLURM_JOB_NODELIST=NODELIST,
                SLURM_NNODES="2", SLURM_JOB_NUM_NODES="2", SLURM_JOB_ID=job, SLURM_STEP_ID="0",
                SLURM_PROCID=str(node))


def start_nodes(program, exp: Path, env: dict, job: str, extra=()):
    """Start both launchers (node 1 first: it must wait for node 0's endpoint)."""
    procs = []
    for node in (1, 0):
        cmd = [sys.executable, "-m", "TrainAndTest.bin.launch_node", "--nnodes", "2",
               "--nproc-per-node", "1", "--log-dir", str(exp / "log"), *extra, "--", *program]
        procs.append(subprocess.Popen(cmd, env=node_env(env, node, job), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    return {1: procs[0], 0: procs[1]}


def finish(procs, timeout=600):
    return {k: (p.wait(timeout=timeout), *p.communicate()) for k, p in procs.items()}


def train_program(cfg_path: Path, exp: Path):
    return ["-m", "TrainAndTest.bin.train", "--config", str(cfg_path), "--exp-dir", str(exp)]


def history(exp: Path):
    return torch.load(checkpoint_paths(exp)[-1], weights_only=False)["history"]


def last_line(path: Path) -> str:
    return path.read_text().rstrip("\n").splitlines()[-1]


def test_two_nodes_match_one_node_two_processes(tmp_path, recipe_env):
    cfg_path = write_cfg(tmp_path, CFG)
    one = tmp_path / "one_node"
    single = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
         *train_program(cfg_path, one)],
        env=dict(recipe_env, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stderr[-3000:]

    two = tmp_path / "two_nodes"
    results = finish(start_nodes(train_program(cfg_path, two), two, recipe_env, "4101"))
    for node, (code, out, err) in results.items():
        assert code == 0, f"node {node}:\n{out[-3000:]}\n{err}"
    assert (two / "log" / "rendezvous.4101.0").read_text().startswith("127.0.0.1:")
    for node in (0, 1):
        log = (two / "log" / f"train.node{node}.log").read_text().splitlines()
        assert log[0].startswith("# ") and "--nnodes 2" in log[0] and "c10d" in log[0]
        assert log[2].startswith(f"# node {node} of 2 on ")
        assert log[-1].startswith("# Ended (code 0) at ")
    for rank in (0, 1):
        assert "world size 2" in (two / "log" / f"train.rank{rank}.log").read_text()

    h1, h2 = history(one), history(two)
    assert len(h1) == len(h2) == 1
    for e1, e2 in zip(h1, h2):
        assert e2["train"]["loss"] == pytest.approx(e1["train"]["loss"], rel=1e-3)
        assert e2["valid"]["loss"] == pytest.approx(e1["valid"]["loss"], rel=1e-3)
    a = torch.load(one / "final.pt", weights_only=False)["model"]
    b = torch.load(two / "final.pt", weights_only=False)["model"]
    diff = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
    print(f"train loss 1 node x 2 proc {h1[0]['train']['loss']:.6f}, 2 nodes x 1 proc "
          f"{h2[0]['train']['loss']:.6f}; max |weight difference| {diff:.3g}")
    assert diff <= 1e-5


def test_rerun_resumes_on_all_nodes(tmp_path, recipe_env):
    """The same command again (a new Slurm job) continues from the last checkpoint everywhere."""
    cfg_path = write_cfg(tmp_path, CFG)
    exp = tmp_path / "exp"
    for code, out, err in finish(start_nodes(train_program(cfg_path, exp), exp, recipe_env,
                                             "4201")).values():
        assert code == 0, f"{out[-3000:]}\n{err}"
    # The rerun asks for one more epoch, as a job that hit its time limit would still need.
    cfg_path.write_text(yaml.safe_dump(dict(CFG, train_conf=dict(CFG["train_conf"], epochs=2))))
    for code, out, err in finish(start_nodes(train_program(cfg_path, exp), exp, recipe_env,
                                             "4202")).values():
        assert code == 0, f"{out[-3000:]}\n{err}"
    for rank in (0, 1):
        assert "resumed from" in (exp / "log" / f"train.rank{rank}.log").read_text()
    assert [h["epoch"] for h in history(exp)] == [1, 2]


def test_failing_node_fails_with_its_log_named(tmp_path, recipe_env):
    """Node 1's worker fails: its launcher says so and names its log; node 0 is stopped the
    way srun --kill-on-bad-exit stops it (SIGTERM) and its log records that."""
    script = tmp_path / "fail_on_node1.py"
    script.write_text("import os, sys\nprint('worker on node', os.environ['SLURM_NODEID'])\n"
                      "sys.exit(3 if os.environ['SLURM_NODEID'] == '1' else 0)\n")
    exp = tmp_path / "exp"
    procs = start_nodes([str(script)], exp, recipe_env, "4301")
    code1 = procs[1].wait(timeout=300)
    _, err1 = procs[1].communicate()
    assert code1 != 0
    log1 = exp / "log" / "train.node1.log"
    assert "launch_node: node 1 of 2 (" in err1 and f"log is in {log1}" in err1
    assert "worker on node 1" in log1.read_text()
    assert last_line(log1).startswith(f"# Ended (code {code1}) at ")
    # node 0's worker succeeded; its agent waits for node 1 until srun ends the step
    deadline = time.monotonic() + 120
    while "worker on node 0" not in (exp / "log" / "train.node0.log").read_text():
        assert procs[0].poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    procs[0].terminate()
    code0 = procs[0].wait(timeout=120)
    procs[0].communicate()
    assert code0 == 128 + 15
    assert last_line(exp / "log" / "train.node0.log").startswith("# Ended (code 143) at ")


def test_launcher_errors_name_the_variable_or_option(tmp_path, recipe_env):
    with pytest.raises(LaunchError, match="SLURM_NODEID is not set"):
        node_place({}, 2)
    with pytest.raises(LaunchError, match=r"--nnodes 2 but this Slurm step has 1 node.*nodes=\*"):
        node_place({"SLURM_NODEID": "0", "SLURM_NNODES": "1"}, 2)
    with pytest.raises(LaunchError, match="node rank 3 is outside 0..1"):
        node_place({"SLURM_NODEID": "3"}, 2)
    place = node_place({"SLURM_NODEID": "0", "SLURM_JOB_ID": "9"}, 2)
    with pytest.raises(LaunchError, match="SLURM_JOB_NODELIST is not set.*--rdzv-endpoint"):
        rendezvous_endpoint(place, str(tmp_path), None, 1.0)
    assert rendezvous_endpoint(place, str(tmp_path), "h:1", 1.0) == ("h:1", None)
    waiting = node_place({"SLURM_NODEID": "1", "SLURM_JOB_ID": "9"}, 2)
    with pytest.raises(LaunchError, match=r"rendezvous\.9\.0 within 0\.3 s \(--rdzv-timeout\)"):
        rendezvous_endpoint(waiting, str(tmp_path), None, 0.3)

    res = subprocess.run([sys.executable, "-m", "TrainAndTest.bin.launch_node", "--nnodes", "2",
                          "--nproc-per-node", "1", "--log-dir", str(tmp_path), "--", "x.py"],
                         env={k: v for k, v in recipe_env.items() if not k.startswith("SLURM_")},
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "launch_node: error: SLURM_NODEID is not set" in res.stderr
    res = subprocess.run([sys.executable, "-m", "TrainAndTest.bin.launch_node", "--nnodes", "2"],
                         env=recipe_env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "missing '--' before the training program" in res.stderr
    assert not os.path.exists(tmp_path / "train.node0.log")


def test_more_processes_per_node_than_gpus_is_a_clear_error(monkeypatch):
    """setup_distributed: LOCAL_RANK past this node's GPUs names --gpus (it counts per node)."""
    from TrainAndTest.trainer import setup_distributed

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("LOCAL_RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(RuntimeError, match="LOCAL_RANK=2 but this node .* has 2 GPU.*per node"):
        setup_distributed()
