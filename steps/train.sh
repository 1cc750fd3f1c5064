#!/usr/bin/env bash
# Train a speaker-embedding model from a YAML config, through $cmd (one job, N GPUs).
# Resumes from the newest checkpoint in <exp-dir>; a finished experiment (final.pt newer
# than the config) is skipped.
set -euo pipefail

cmd=run.pl          # job backend; use "$cuda_cmd" from cmd.sh
gpus=0              # GPUs for the job (0: CPU); one process per GPU
nproc=1             # processes when gpus=0 (gloo on CPU)
nnodes=1            # >1: one job of N nodes (--cmd slurm.pl), a torchrun agent on each
rdzv_endpoint=      # host:port of the rendezvous (default: derived inside the job)
help_message="Usage: $0 [options] <config.yaml> <exp-dir> [--section.key value ...]
 e.g.: $0 --cmd \"\$cuda_cmd\" --gpus 4 conf/train/ecapa_tdnn_c512.yaml exp/ecapa_tdnn_c512
Options:
  --cmd <cmd>             job backend (default run.pl)
  --gpus <n>              GPUs, one process each (default 0: CPU)
  --nproc <n>             CPU processes when --gpus 0 (default 1)
  --nnodes <n>            nodes, each with --gpus GPUs (or --nproc processes); >1 needs
                          a backend that spans nodes (slurm.pl) (default 1)
  --rdzv-endpoint <h:p>   multi-node rendezvous host:port (default: the job's first node
                          and a free port)"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -lt 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
config=$1
exp=$2
shift 2

[ -f "$config" ] || { echo "$0: no such config $config" >&2; exit 1; }
# The experiment is up to date when final.pt was made from the same inputs: the config's
# content, the overrides, the content of every override value that is a file (augment
# chain, trials), and the data: the egs dir's info/, signature and archives
# (--data_conf.egs_dir), or the data dir's tables, the archives and audio they name, and
# conf/ (--data_conf.data_dir). Egs rebuilt with another --min-frames, feature type, CMN or
# VAD therefore retrain; an identical rerun skips.
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"
train_inputs=(--option "$*" "$config")
prev=
for arg in "$@"; do
  case $prev in
    --data_conf.egs_dir)
      train_inputs+=("$arg/info" "$arg/.egs.done")
      for f in "$arg"/egs.* "$arg"/valid_egs.* "$arg"/train_diagnostic.*; do
        train_inputs+=(--stat "$f")
      done ;;
    --data_conf.data_dir)
      train_inputs+=(--table "$arg/wav.scp" --table "$arg/feats.scp" --table "$arg/vad.scp"
                     "$arg/utt2spk" "$arg/utt2num_frames" "$arg/segments" "$arg/conf") ;;
    *) [ -f "$arg" ] && train_inputs+=("$arg") ;;
  esac
  prev=$arg
done
signature=$(signature "${train_inputs[@]}")
if [ -f "$exp/final.pt" ] && up_to_date "$exp/.train_signature" "$signature"; then
  echo "$0: $exp/final.pt is up to date; skipping training"
  exit 0
fi
# Checkpoints made from other inputs must not be resumed from (the trainer resumes from the
# newest one): they go, with final.pt. Checkpoints of these inputs are resumed from.
if ! up_to_date "$exp/.train_inputs" "$signature" \
    && { [ -d "$exp/checkpoints" ] || [ -f "$exp/final.pt" ]; }; then
  echo "$0: $exp was trained from other inputs; removing its checkpoints and final.pt"
  rm -rf "$exp/checkpoints" "$exp/final.pt"
fi
forget_stamp "$exp/.train_signature"
write_stamp "$exp/.train_inputs" "$signature"
mkdir -p "$exp/log"

per_node=$nproc
[ "$gpus" -gt 0 ] && per_node=$gpus
launch=(python -m TrainAndTest.bin.train)
node_opts=()
if [ "$nnodes" -gt 1 ]; then
  # One job of $nnodes nodes: the backend runs the launcher once per node (slurm.pl: srun),
  # and each starts a torchrun agent; the endpoint is derived inside the job unless given.
  launch=(python -m TrainAndTest.bin.launch_node --nnodes "$nnodes" --nproc-per-node "$per_node"
          --log-dir "$exp/log")
  [ -z "$rdzv_endpoint" ] || launch+=(--rdzv-endpoint "$rdzv_endpoint")
  launch+=(-- -m TrainAndTest.bin.train)
  node_opts=(--nodes "$nnodes")
  rm -f "$exp"/log/train.node*.log  # a failure below then names only this run's nodes
elif [ "$per_node" -gt 1 ]; then
  launch=(torchrun --standalone --nproc-per-node "$per_node" -m TrainAndTest.bin.train)
fi

start=$(date +%s)
# shellcheck disable=SC2086
if ! $cmd "${node_opts[@]}" --gpu "$gpus" --num-threads "$per_node" "$exp/log/train.log" \
    "${launch[@]}" --config "$config" --exp-dir "$exp" "$@"; then
  for node_log in "$exp"/log/train.node*.log; do
    [ -f "$node_log" ] || continue
    last=$(tail -n 1 "$node_log")  # a node stopped because another failed ends in code 143
    case "$last" in
      "# Ended (code 0) "*) ;;
      *) echo "$0: node log $node_log: ${last#\# }" >&2 ;;
    esac
  done
  if [ -f "$exp/log/train.log" ]; then
    echo "$0: training failed, log is in $exp/log/train.log" >&2
  else
    echo "$0: training was not started (see the backend's message above)" >&2
  fi
  exit 1
fi
[ -f "$exp/final.pt" ] || { echo "$0: training finished without $exp/final.pt; see $exp/log/" >&2; exit 1; }
echo "$signature" > "$exp/.train_signature"
echo "$0: trained $exp/final.pt in $(( $(date +%s) - start )) s"
