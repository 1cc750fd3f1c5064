#!/usr/bin/env bash
# Extract embeddings for a data dir with a trained model (job array through $cmd).
# Output: <out-dir>/xvector.{ark,scp} (per utterance), spk_xvector.{ark,scp} (speaker
# means) and num_utts.ark, like Kaldi's extract_xvectors.sh.
set -euo pipefail

nj=4                # parallel jobs
cmd=run.pl          # job backend ($decode_cmd from cmd.sh)
use_gpu=false       # run each job on a GPU (--gpu 1)
chunk_size=-1       # frames per chunk, averaged; -1 embeds whole utterances
min_chunk_size=25   # a shorter last chunk is merged into the previous one
cmn_window=0        # sliding CMN window as used for the egs (0: none)
use_vad=false       # drop unvoiced frames using <data>/vad.scp (as for the egs)
help_message="Usage: $0 [options] <exp-dir|model.pt> <data> <out-dir>
 e.g.: $0 --nj 8 --cmd \"\$decode_cmd\" exp/ecapa_tdnn_c512 data/voxceleb1_test exp/ecapa_tdnn_c512/xvectors_voxceleb1_test
Options:
  --nj <n>               parallel jobs (default 4)
  --cmd <cmd>            job backend (default run.pl)
  --use-gpu <bool>       one GPU per job (default false)
  --chunk-size <frames>  chunked extraction (default -1: whole utterance)
  --min-chunk-size <n>   (default 25)
  --cmn-window <frames>  sliding CMN window (default 0: none)
  --use-vad <bool>       select voiced frames with vad.scp (default false)"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
model=$1
data=$2
dir=$3
[ -d "$model" ] && model=$model/final.pt
[ -f "$model" ] || { echo "$0: no model at $model" >&2; exit 1; }
utils/validate_data_dir.sh --no-wav "$data"
if [ -f "$dir/xvector.scp" ] && [ "$dir/xvector.scp" -nt "$model" ] && [ "$dir/xvector.scp" -nt "$data/feats.scp" ]; then
  echo "$0: $dir/xvector.scp is up to date; skipping"
  exit 0
fi
vad_opt=()
if $use_vad; then
  [ -f "$data/vad.scp" ] || { echo "$0: --use-vad true but $data/vad.scp is missing" >&2; exit 1; }
fi
gpu_opt=0
device=cpu
if $use_gpu; then gpu_opt=1; device=cuda; fi

mkdir -p "$dir/log"
num_utts=$(wc -l < "$data/feats.scp")
[ "$nj" -gt "$num_utts" ] && nj=$num_utts
utils/split_data.sh --per-utt "$data" "$nj"
sdata=$data/split${nj}utt
$use_vad && vad_opt=(--vad-scp "$sdata/JOB/vad.scp")

start=$(date +%s)
# shellcheck disable=SC2086
$cmd --gpu "$gpu_opt" JOB=1:"$nj" "$dir/log/extract.JOB.log" \
  python -m TrainAndTest.bin.extract_embeddings --model "$model" --feats-scp "$sdata/JOB/feats.scp" \
    "${vad_opt[@]}" --cmn-window "$cmn_window" --chunk-size "$chunk_size" \
    --min-chunk-size "$min_chunk_size" --device "$device" \
    "ark,scp:$dir/xvector.JOB.ark,$dir/xvector.JOB.scp"

for j in $(seq "$nj"); do cat "$dir/xvector.$j.scp"; done | LC_ALL=C sort > "$dir/.xvector.scp.tmp"
got=$(wc -l < "$dir/.xvector.scp.tmp")
if [ "$got" -ne "$num_utts" ]; then
  echo "$0: only $got of $num_utts utterances got embeddings; see $dir/log/extract.*.log" >&2
  exit 1
fi
mv "$dir/.xvector.scp.tmp" "$dir/xvector.scp"
python -m TrainAndTest.bin.speaker_mean "$data/spk2utt" "$dir/xvector.scp" "$dir"
echo "$0: extracted $got embeddings into $dir in $(( $(date +%s) - start )) s"
