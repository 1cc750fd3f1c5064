#!/usr/bin/env bash
# Issue 18's GPU checks in one call on a lent device (each writes into <out>):
#  1. train_step.md: bench/train_step.py on ECAPA-TDNN C=1024, batch 128 x 200 frames, fp32 /
#     bf16 / bf16 + torch.compile, each against SpeechBrain's ECAPA_TDNN of the same layout in
#     the same process (s/step, egs/s, GPU utilisation, peak memory, ours / SpeechBrain).
#  2. ddp/: the first epoch of conf/train/gpu_check_ecapa_c1024.yaml (synthetic data, bf16)
#     under torchrun with one process per GPU (NCCL; gloo on a CPU-only machine), and
#     ddp_epoch.txt: its wall time, egs/s and the step time the rank-0 log reports.
# SpeechBrain is a benchmark reference only: carry its wheels (speechbrain, hyperpyyaml,
# ruamel.yaml) to the device and put them on PYTHONPATH; without it step 1 prints our rows.
#
# Usage: bench/gpu_checks.sh [--device cuda] [--nproc N] [--step-args "..."] <out> [train overrides]
#   --device     device of step 1 (default: cuda)
#   --nproc      processes of step 2 (default: the GPUs nvidia-smi lists)
#   --step-args  bench/train_step.py options instead of the C=1024 ones
#   train overrides: --section.key value pairs for step 2 (e.g. --data_conf.num_speakers 100)
set -euo pipefail
cd "$(dirname "$0")/.."
device=cuda
nproc=""
step_args="--models ecapa_tdnn_c1024 --batch 128 --frames 200 --steps 20 --warmup 5 --reference speechbrain"
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --device) device=$2 ;;
    --nproc) nproc=$2 ;;
    --step-args) step_args=$2 ;;
    *) break ;;
  esac
  shift 2
done
[[ $# -ge 1 ]] || { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 1; }
out=$1
shift
if [[ -z $nproc ]]; then
  nproc=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
  [[ $nproc -ge 1 ]] || { echo "$0: no GPU listed by nvidia-smi; pass --nproc N" >&2; exit 1; }
fi
[[ $nproc =~ ^[1-9][0-9]*$ ]] || { echo "$0: --nproc must be a positive integer, got '$nproc'" >&2; exit 1; }
python=${PYTHON:-python3}
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true

echo "== 1. training step against SpeechBrain ($device)"
# shellcheck disable=SC2086  # step_args is a list of options
"$python" bench/train_step.py --device "$device" $step_args | tee "$out/train_step.md.tmp"
mv "$out/train_step.md.tmp" "$out/train_step.md"

echo "== 2. first epoch under DDP, $nproc process(es)"
rm -rf "$out/ddp"
start=$(date +%s.%N)
"$python" -m torch.distributed.run --standalone --nproc-per-node="$nproc" -m TrainAndTest.bin.train \
  --config conf/train/gpu_check_ecapa_c1024.yaml --exp-dir "$out/ddp" "$@" > "$out/ddp.log" 2>&1 \
  || { tail -30 "$out/ddp.log" >&2; echo "$0: the DDP run failed (log: $out/ddp.log)" >&2; exit 1; }
"$python" - "$out/ddp" "$nproc" "$start" <<'PY' | tee "$out/ddp_epoch.txt"
import sys, time
from pathlib import Path

import torch
import yaml

from TrainAndTest.checkpoint import checkpoint_paths

exp, nproc, wall = Path(sys.argv[1]), int(sys.argv[2]), time.time() - float(sys.argv[3])
batch = int(yaml.safe_load((exp / "config.yaml").read_text())["data_conf"]["batch_size"])
hist = torch.load(checkpoint_paths(exp)[-1], weights_only=False, map_location="cpu")["history"]
first = hist[0]["train"]
sec, steps = first["seconds"], first["steps"]
egs = steps * batch  # every step takes one full global batch
print(f"DDP first epoch, {nproc} process(es), global batch {batch}: {egs} egs in {sec:.1f} s "
      f"= {egs / sec:.0f} egs/s (torchrun wall {wall:.1f} s, start-up included); "
      f"{steps} steps, {sec / steps:.3f} s/step; train loss {first['loss']:.3f}")
PY
