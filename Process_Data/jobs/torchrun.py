"""One torchrun agent per node of a Slurm job (``python -m TrainAndTest.bin.launch_node``).

``slurm.pl --nodes N`` runs its command under ``srun``, once on each node; that command is
this launcher, which

1. finds its place from Slurm's environment: the node rank ``SLURM_NODEID`` (0..N-1), the
   node list ``SLURM_JOB_NODELIST`` and the job/step ids (``SLURM_JOB_ID``,
   ``SLURM_STEP_ID``); it checks that the step really has N nodes (``SLURM_NNODES``), so a
   site config that does not map ``--nodes`` is an error, not a rendezvous that times out;
2. derives the c10d rendezvous endpoint unless one is given: the host is the first node of
   the list (its Slurm ``NodeAddr``, see :func:`.nodelist.node_address`), the port a free
   one picked on node 0, which publishes ``host:port`` in ``<log-dir>/rendezvous.<job>.<step>``
   for the other nodes to read (the experiment dir is on a file system every node shares, as
   resuming from its checkpoints needs anyway); node 0 hosts the rendezvous store;
3. starts ``python -m torch.distributed.run`` (torchrun) with ``--nnodes N
   --nproc-per-node G --rdzv-backend c10d``, the endpoint and the job id as rendezvous id,
   and no restarts (a failed node fails the job);
4. copies the agent's output to its stdout (srun gathers it into the job's log) and to
   ``<log-dir>/train.node<k>.log``, which starts and ends like every job log (command, start
   time, ``# Ended (code <rc>) ...``), and on failure prints
   ``launch_node: node <k> of <N> (<host>) failed with code <rc>; log is in <log>``.

Global ranks are assigned by torchrun's rendezvous (node by node, in joining order), so
``train.rank<r>.log`` need not match ``train.node<k>.log``'s k; every rank knows
``RANK``/``WORLD_SIZE`` across all nodes, so data sharding and the global batch size behave
exactly as with more GPUs on one node.

Example:
    >>> place = node_place({"SLURM_NODEID": "1", "SLURM_JOB_NODELIST": "gpu[1-2]",
    ...                     "SLURM_JOB_ID": "77", "SLURM_STEP_ID": "0", "SLURM_NNODES": "2"}, 2)
    >>> place.node_rank, place.run_id
    (1, '77.0')
    >>> torchrun_argv(2, 8, "gpu1:29400", "77.0", False, ["-m", "TrainAndTest.bin.train"],
    ...               python="python")[3:]  # doctest: +NORMALIZE_WHITESPACE
    ['--nnodes', '2', '--nproc-per-node', '8', '--rdzv-backend', 'c10d', '--rdzv-endpoint',
     'gpu1:29400', '--rdzv-id', '77.0', '--max-restarts', '0', '--rdzv-conf', 'is_host=false',
     '-m', 'TrainAndTest.bin.train']
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO, List, Mapping, Optional, Tuple

from Process_Data.jobs.logs import header, trailer
from Process_Data.jobs.nodelist import NodeListError, hostnames, node_address


class LaunchError(Exception):
    """The node cannot start its agent; the message names the variable, option or file."""


@dataclass
class NodePlace:
    """Where this agent runs, from Slurm's environment.

    Args:
        node_rank: ``SLURM_NODEID``, 0..nnodes-1.
        nnodes: nodes of the job step.
        run_id: ``<job id>.<step id>``: the rendezvous id and the endpoint file's suffix.
        nodelist: the compressed node list (``SLURM_JOB_NODELIST``), or None.
    """

    node_rank: int
    nnodes: int
    run_id: str
    nodelist: Optional[str]


def _int_var(env: Mapping[str, str], name: str) -> Optional[int]:
    value = env.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise LaunchError(f"{name}={value!r} is not a non-negative integer")
    return int(value)


def node_place(env: Mapping[str, str], nnodes: int, node_rank: Optional[int] = None) -> NodePlace:
    """Read this node's place from Slurm's environment.

    Args:
        env: the environment (``os.environ``).
        nnodes: the number of nodes training expects (``--nnodes``).
        node_rank: overrides ``SLURM_NODEID`` when given.

    Returns:
        The :class:`NodePlace`.

    Raises:
        LaunchError: ``SLURM_NODEID`` missing (not run under srun) or out of range, or the
            step has another number of nodes than ``nnodes``.
    """
    if node_rank is None:
        node_rank = _int_var(env, "SLURM_NODEID")
        if node_rank is None:
            raise LaunchError(
                "SLURM_NODEID is not set: run this under srun (slurm.pl --nodes N does), "
                "or give --node-rank"
            )
    step_nodes = _int_var(env, "SLURM_NNODES")
    if step_nodes is None:
        step_nodes = _int_var(env, "SLURM_JOB_NUM_NODES")
    if step_nodes is not None and step_nodes != nnodes:
        raise LaunchError(
            f"--nnodes {nnodes} but this Slurm step has {step_nodes} node(s) (SLURM_NNODES): "
            "does the slurm.pl config map --nodes (e.g. 'option nodes=* --nodes=$0 --ntasks=$0')?"
        )
    if not 0 <= node_rank < nnodes:
        raise LaunchError(f"node rank {node_rank} is outside 0..{nnodes - 1} (--nnodes {nnodes})")
    job = env.get("SLURM_JOB_ID") or "nojob"
    step = env.get("SLURM_STEP_ID") or "0"
    nodelist = env.get("SLURM_JOB_NODELIST") or env.get("SLURM_NODELIST")
    return NodePlace(node_rank, nnodes, f"{job}.{step}", nodelist)


def free_port() -> int:
    """A TCP port that is free on this host now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def endpoint_path(log_dir: str, run_id: str) -> str:
    """The file node 0 publishes the rendezvous endpoint in."""
    return os.path.join(log_dir, f"rendezvous.{run_id}")


def publish_endpoint(path: str, endpoint: str) -> None:
    """Write ``endpoint`` to ``path`` atomically (temp + rename), so readers never see half."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(endpoint + "\n")
    os.replace(tmp, path)


def wait_for_endpoint(path: str, timeout_s: float, poll_s: float = 0.2) -> str:
    """Wait for node 0's endpoint file and return its ``host:port``.

    Raises:
        LaunchError: the file did not appear within ``timeout_s`` seconds.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read().strip()
            if text:
                return text
        except FileNotFoundError:
            pass
        if time.monotonic() >= deadline:
            raise LaunchError(
                f"node 0 did not publish the rendezvous endpoint in {path} within "
                f"{timeout_s:g} s (--rdzv-timeout): did node 0 start, and do all nodes see "
                "the experiment dir on a shared file system?"
            )
        time.sleep(poll_s)


def rendezvous_endpoint(
    place: NodePlace, log_dir: str, given: Optional[str], timeout_s: float
) -> Tuple[str, Optional[bool]]:
    """The c10d endpoint and whether this node hosts its store (None: torchrun decides).

    Args:
        place: this node's place.
        log_dir: where node 0 publishes a derived endpoint.
        given: ``--rdzv-endpoint host:port``, used as is when not empty.
        timeout_s: how long nodes > 0 wait for node 0's endpoint file.

    Raises:
        LaunchError: no node list to derive the host from, a node list that cannot be
            expanded, or node 0's file did not appear in time.
    """
    if given:
        return given, None
    path = endpoint_path(log_dir, place.run_id)
    if place.node_rank > 0:
        return wait_for_endpoint(path, timeout_s), False
    if not place.nodelist:
        raise LaunchError(
            "SLURM_JOB_NODELIST is not set, so the rendezvous host is unknown: "
            "give --rdzv-endpoint host:port"
        )
    try:
        first = hostnames(place.nodelist)[0]
    except NodeListError as err:
        raise LaunchError(f"SLURM_JOB_NODELIST: {err}; give --rdzv-endpoint host:port") from None
    endpoint = f"{node_address(first)}:{free_port()}"
    publish_endpoint(path, endpoint)
    return endpoint, True


def torchrun_argv(
    nnodes: int,
    nproc_per_node: int,
    endpoint: str,
    run_id: str,
    is_host: Optional[bool],
    program: List[str],
    python: str = sys.executable,
) -> List[str]:
    """The torchrun command of one node's agent.

    Args:
        nnodes, nproc_per_node: nodes, and worker processes on each.
        endpoint: the c10d rendezvous ``host:port``.
        run_id: the rendezvous id (the same on every node of one run).
        is_host: True/False forces whether this agent hosts the rendezvous store; None lets
            torchrun match the endpoint's host against this machine.
        program: what each worker runs: ``["-m", "module", args...]`` or ``["script.py", ...]``.
        python: the interpreter (the one running this launcher, so the job's venv).
    """
    argv = [
        python, "-m", "torch.distributed.run",
        "--nnodes", str(nnodes), "--nproc-per-node", str(nproc_per_node),
        "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint, "--rdzv-id", run_id,
        "--max-restarts", "0",
    ]
    if is_host is not None:
        argv += ["--rdzv-conf", f"is_host={str(is_host).lower()}"]
    return argv + list(program)


def node_log_path(log_dir: str, node_rank: int) -> str:
    """``<log-dir>/train.node<k>.log``."""
    return os.path.join(log_dir, f"train.node{node_rank}.log")


def run_agent(
    argv: List[str],
    log_path: str,
    note: str,
    threads: int,
    out: Optional[BinaryIO] = None,
    env: Optional[Mapping[str, str]] = None,
    kill_grace_s: float = 10.0,
) -> int:
    """Run the agent, copying its output to ``out`` and to a Kaldi-style log; return its code.

    SIGTERM, SIGINT and SIGHUP (srun ending the step, Ctrl-C) are passed on to the agent's
    process group (the agent and its workers); what is still alive ``kill_grace_s`` later is
    killed, because an agent waiting in torchrun's exit barrier for a failed node only sees
    the signal when that wait ends (up to 300 s). The code is then 128+signal unless the
    agent exited 0.

    Args:
        argv: the agent's command.
        log_path: the node log (overwritten: header, output, trailer).
        note: a line for the header (``node 1 of 2 on host``).
        threads: for the trailer's accounting line.
        out: where the output is copied as well (default: this process's stdout).
        env: the agent's environment (default ``os.environ``).
        kill_grace_s: seconds between passing on a signal and SIGKILL.
    """
    out = out if out is not None else sys.stdout.buffer
    os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
    start = time.time()
    got: List[int] = []
    timers: List[threading.Timer] = []
    with open(log_path, "wb") as log:
        log.write((header(shlex.join(argv)) + f"# {note}\n").encode())
        log.flush()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=None if env is None else dict(env), start_new_session=True,
        )

        def signal_group(signum: int) -> None:
            try:
                os.killpg(proc.pid, signum)
            except ProcessLookupError:
                pass

        def forward(signum, _frame):
            got.append(signum)
            signal_group(signum)
            if len(got) == 1:
                timers.append(threading.Timer(kill_grace_s, signal_group, (signal.SIGKILL,)))
                timers[0].daemon = True
                timers[0].start()

        old = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        try:
            assert proc.stdout is not None
            for line in iter(proc.stdout.readline, b""):
                log.write(line)
                log.flush()
                out.write(line)
                out.flush()
            code = proc.wait()
        finally:
            for timer in timers:
                timer.cancel()
            for sig, handler in old.items():
                signal.signal(sig, handler)
        code = 128 - code if code < 0 else code
        if got and code != 0:
            code = 128 + got[0]
        log.write(trailer(code, time.time() - start, threads).encode())
    return code


def launch_node(
    nnodes: int,
    nproc_per_node: int,
    log_dir: str,
    program: List[str],
    rdzv_endpoint: Optional[str] = None,
    rdzv_timeout_s: float = 900.0,
    node_rank: Optional[int] = None,
    env: Optional[Mapping[str, str]] = None,
) -> int:
    """Start this node's torchrun agent (see the module docstring) and return its exit code.

    Args:
        nnodes: nodes of the job (each runs this launcher once).
        nproc_per_node: worker processes per node (one per GPU).
        log_dir: the experiment's log dir (node logs, the endpoint file).
        program: the workers' program: ``["-m", "TrainAndTest.bin.train", "--config", ...]``.
        rdzv_endpoint: ``host:port`` to use instead of deriving one.
        rdzv_timeout_s: how long nodes > 0 wait for node 0's endpoint.
        node_rank: overrides ``SLURM_NODEID``.
        env: the environment to read and pass on (default ``os.environ``).

    Returns:
        The agent's exit code (0: every worker of this node succeeded).

    Raises:
        LaunchError: see :func:`node_place` and :func:`rendezvous_endpoint`.
    """
    env = os.environ if env is None else env
    if nnodes < 1 or nproc_per_node < 1:
        raise LaunchError(f"--nnodes {nnodes} and --nproc-per-node {nproc_per_node} must be >= 1")
    if not program:
        raise LaunchError("no training program after '--' (e.g. -- -m TrainAndTest.bin.train ...)")
    place = node_place(env, nnodes, node_rank)
    endpoint, is_host = rendezvous_endpoint(place, log_dir, rdzv_endpoint, rdzv_timeout_s)
    argv = torchrun_argv(nnodes, nproc_per_node, endpoint, place.run_id, is_host, program)
    log_path = node_log_path(log_dir, place.node_rank)
    host = socket.gethostname()
    note = (
        f"node {place.node_rank} of {nnodes} on {host}, {nproc_per_node} process(es), "
        f"rendezvous {endpoint} (id {place.run_id})"
    )
    code = run_agent(argv, log_path, note, nproc_per_node, env=env)
    if code != 0:
        print(
            f"launch_node: node {place.node_rank} of {nnodes} ({host}) failed with code {code}; "
            f"log is in {log_path}",
            file=sys.stderr,
            flush=True,
        )
    return code
