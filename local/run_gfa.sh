#!/usr/bin/env bash
# Gradient frequency attention, end to end: train a small model, average the absolute input
# gradients of its training-speaker logits over time and training utterances into one weight
# per frequency bin, train the same model again with those weights fixed on its input
# (model_conf.freq_weights) and once with mel-scale weights, then score every trial list of
# the test set with cosine scoring and write one EER table for the three.
# Library: TrainAndTest/analysis/frequency_attention.py (python -m TrainAndTest.bin.gfa_weights).
set -euo pipefail

stage=0
stop_stage=5
cmd=run.pl                    # job backend for training ($cuda_cmd) and extraction/scoring
nj=2                          # extraction jobs
gpus=0                        # GPUs for training (0: CPU)
gfa_per_speaker=4             # training utterances per speaker averaged into the weights
gfa_max_utts=1000             # at most this many utterances (0: all)
gfa_method=saliency           # attribution averaged (saliency: |input gradient|)
train_overrides=""            # extra --section.key value overrides for all three trainings
help_message="Usage: $0 [options] <train-config> <egs-dir> <train-data> <test-data> <out-dir>
 e.g.: $0 conf/train/minivox_gfa_tdnn.yaml exp/egs_minivox_dev data/minivox_dev data/minivox_test exp/gfa_minivox
Writes <out-dir>/{base,gfa,mel}/ (experiments), <out-dir>/weights/ (freq_weights.npy,
mel_weights.npy, freq_weights.png) and <out-dir>/RESULTS.md (EER/minDCF per system and
trial list of <test-data>, with the mean over its trials_* lists).
Options:
  --stage <n> / --stop-stage <n>   0 base model, 1 weights, 2 weighted models,
                                   3 embeddings, 4 scoring, 5 table
  --cmd <cmd>                      job backend (default run.pl)
  --nj <n>                         extraction jobs (default 2)
  --gpus <n>                       GPUs for training (default 0)
  --gfa-per-speaker <n>            utterances per speaker for the weights (default 4)
  --gfa-max-utts <n>               cap on those utterances (default 1000, 0: all)
  --gfa-method <name>              attribution averaged (default saliency)
  --train-overrides \"<o>\"          overrides for every training, e.g. \"--train_conf.epochs 2\""

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 5 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
config=$1
egs=$2
train_data=$3
test_data=$4
dir=$5
[ -f ./path.sh ] && . ./path.sh
start=$(date +%s)

for f in "$config" "$egs/info/num_archives" "$train_data/feats.scp" "$test_data/feats.scp"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
mapfile -t lists < <(find "$test_data" -maxdepth 1 -name 'trials*' -type f | LC_ALL=C sort)
[ ${#lists[@]} -gt 0 ] || { echo "$0: $test_data has no trials* list" >&2; exit 1; }
systems="base gfa mel"

# the weights as a YAML list for --model_conf.freq_weights (none for the base model)
weight_opts() {
  case $1 in
    base) ;;
    gfa) echo "--model_conf.freq_weights $(tr -d ' ' < "$dir/weights/freq_weights.yaml")" ;;
    mel) echo "--model_conf.freq_weights $(tr -d ' ' < "$dir/weights/mel_weights.yaml")" ;;
  esac
}

train_system() {
  local system=$1
  # shellcheck disable=SC2046,SC2086
  steps/train.sh --cmd "$cmd" --gpus "$gpus" "$config" "$dir/$system" \
    --data egs --data_conf.egs_dir "$egs" $(weight_opts "$system") $train_overrides
}

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: base model: $config + $egs -> $dir/base/final.pt"
  train_system base
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: weights: $dir/base + $train_data -> $dir/weights/freq_weights.npy"
  python -m TrainAndTest.bin.gfa_weights --method "$gfa_method" \
    --per-speaker "$gfa_per_speaker" --max-utts "$gfa_max_utts" \
    --spk2int "$egs/spk2int" "$dir/base" "$train_data" "$dir/weights"
  [ -f "$dir/weights/mel_weights.yaml" ] || {
    echo "$0: no mel weights (the features have no frequency axis: use fbank or spect)" >&2
    exit 1
  }
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: weighted models: $dir/weights -> $dir/{gfa,mel}/final.pt"
  train_system gfa
  train_system mel
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  log "Stage 3: embeddings: $dir/{$systems}/final.pt + $test_data -> xvectors_test"
  for system in $systems; do
    steps/extract_embeddings.sh --nj "$nj" --cmd "$cmd" "$dir/$system" "$test_data" \
      "$dir/$system/xvectors_test"
  done
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  log "Stage 4: scoring: ${#lists[@]} trial lists of $test_data -> $dir/<system>/scores"
  for system in $systems; do
    for trials in "${lists[@]}"; do
      xv=$dir/$system/xvectors_test
      steps/score_cosine.sh --cmd "$cmd" --compute-metrics false "$trials" "$xv" "$xv" \
        "$dir/$system/scores/cosine_$(basename "$trials")"
    done
  done
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  log "Stage 5: table: $dir/<system>/scores -> $dir/RESULTS.md"
  rm -f "$dir/RESULTS.md"
  for system in $systems; do
    for trials in "${lists[@]}"; do
      python -m TrainAndTest.bin.compute_metrics --results "$dir/RESULTS.md" --system "$system" \
        "$trials" "$dir/$system/scores/cosine_$(basename "$trials")" > /dev/null
    done
  done
  python -m TrainAndTest.bin.results_means "$dir/RESULTS.md"
  cat "$dir/RESULTS.md"
fi

log "$0: done in $(( $(date +%s) - start )) s"
