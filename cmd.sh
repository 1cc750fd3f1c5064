# Job backend for every parallel step. Pick one with $backend (or edit the default):
#   local  run.pl: jobs run on this machine, at most one per CPU (one per GPU with --gpu)
#   slurm  slurm.pl: sbatch --array; site options in conf/slurm.conf
#   sge    queue.pl: qsub -t; site options in conf/queue.conf
# Scripts use $train_cmd (CPU work), $cuda_cmd (GPU training) and $decode_cmd (extraction,
# scoring); add options per call, e.g. `$cuda_cmd --gpu 4 --mem 32G log/train.log ...`.
# `--nodes N` (steps/train.sh --nnodes N) needs slurm: run.pl and queue.pl run one node.
# shellcheck shell=bash
backend=${backend:-local}

case "$backend" in
  local)
    export train_cmd="run.pl"
    export cuda_cmd="run.pl"
    export decode_cmd="run.pl"
    ;;
  slurm)
    export train_cmd="slurm.pl --config conf/slurm.conf --mem 4G"
    export cuda_cmd="slurm.pl --config conf/slurm.conf --mem 16G"
    export decode_cmd="slurm.pl --config conf/slurm.conf --mem 8G"
    ;;
  sge)
    export train_cmd="queue.pl --config conf/queue.conf --mem 4G"
    export cuda_cmd="queue.pl --config conf/queue.conf --mem 16G"
    export decode_cmd="queue.pl --config conf/queue.conf --mem 8G"
    ;;
  *)
    echo "cmd.sh: unknown backend '$backend' (valid: local slurm sge)" >&2
    return 1
    ;;
esac
