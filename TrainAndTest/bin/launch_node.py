"""Start one node's torchrun agent of a multi-node Slurm job: ``python -m TrainAndTest.bin.launch_node``.

Usage:
    python -m TrainAndTest.bin.launch_node --nnodes N --nproc-per-node G --log-dir <exp>/log \\
        [--rdzv-endpoint host:port] [--rdzv-timeout S] [--node-rank K] \\
        -- -m TrainAndTest.bin.train --config <config.yaml> --exp-dir <exp> [overrides]

``steps/train.sh --nnodes N`` submits this through ``$cuda_cmd --nodes N`` (``slurm.pl`` runs
it under ``srun``, once per node). It reads ``SLURM_NODEID`` and ``SLURM_JOB_NODELIST``,
derives the rendezvous endpoint (first node, a free port) unless given, and writes
``<log-dir>/train.node<k>.log``; see :mod:`Process_Data.jobs.torchrun` for the details.
Exit status: the agent's (0 when every worker of this node succeeded); 1 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from Process_Data.jobs.torchrun import LaunchError, launch_node


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the launcher's options (before ``--``) and start the agent."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="python -m TrainAndTest.bin.launch_node",
        description="Start this node's torchrun agent of a multi-node Slurm job.",
        epilog="Everything after '--' is what each worker runs, e.g. "
        "-- -m TrainAndTest.bin.train --config conf/train/x.yaml --exp-dir exp/x",
    )
    parser.add_argument("--nnodes", type=int, required=True, help="nodes of the job")
    parser.add_argument("--nproc-per-node", type=int, required=True,
                        help="worker processes per node (one per GPU)")
    parser.add_argument("--log-dir", required=True,
                        help="the experiment's log dir: train.node<k>.log, rendezvous.<job>.<step>")
    parser.add_argument("--rdzv-endpoint", default="",
                        help="host:port of the c10d rendezvous (default: first node, free port)")
    parser.add_argument("--rdzv-timeout", type=float, default=900.0,
                        help="seconds nodes > 0 wait for node 0's endpoint (default 900)")
    parser.add_argument("--node-rank", type=int, default=None,
                        help="this node's rank (default: $SLURM_NODEID)")
    if "--" not in argv:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: missing '--' before the training program", file=sys.stderr)
        return 1
    split = argv.index("--")
    args = parser.parse_args(argv[:split])
    try:
        return launch_node(
            args.nnodes, args.nproc_per_node, args.log_dir, argv[split + 1:],
            rdzv_endpoint=args.rdzv_endpoint or None, rdzv_timeout_s=args.rdzv_timeout,
            node_rank=args.node_rank,
        )
    except LaunchError as err:
        print(f"launch_node: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
