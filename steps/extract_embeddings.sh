#!/usr/bin/env bash
# Extract embeddings for a data dir with a trained model (job array through $cmd).
# Output: <out-dir>/xvector.{ark,scp} (per utterance), spk_xvector.{ark,scp} (speaker
# means) and num_utts.ark, like Kaldi's extract_xvectors.sh.
# The front end (VAD, CMN, feature type) comes from the model; --cmn-window/--use-vad are
# only checks against it. A rerun skips when the model, the features (feats.scp, vad.scp),
# the chunk options and the checks are unchanged.
set -euo pipefail

nj=4                # parallel jobs
cmd=run.pl          # job backend ($decode_cmd from cmd.sh)
use_gpu=false       # run each job on a GPU (--gpu 1)
chunk_size=-1       # frames per chunk, averaged; -1 embeds whole utterances
min_chunk_size=25   # a shorter last chunk is merged into the previous one
cmn_window=         # check: the model's sliding CMN window (0: none); empty: no check
use_vad=            # check: true|false, the model's VAD; empty: no check
help_message="Usage: $0 [options] <exp-dir|model.pt> <data> <out-dir>
 e.g.: $0 --nj 8 --cmd \"\$decode_cmd\" exp/ecapa_tdnn_c512 data/voxceleb1_test exp/ecapa_tdnn_c512/xvectors_voxceleb1_test
Options:
  --nj <n>               parallel jobs (default 4)
  --cmd <cmd>            job backend (default run.pl)
  --use-gpu <bool>       one GPU per job (default false)
  --chunk-size <frames>  chunked extraction (default -1: whole utterance)
  --min-chunk-size <n>   (default 25)
  --cmn-window <frames>  check against the model's CMN (default: none; the model decides)
  --use-vad <bool>       check against the model's VAD (default: none; the model decides)"

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
check_opt=()
[ -n "$cmn_window" ] && check_opt+=(--cmn-window "$cmn_window")
[ -n "$use_vad" ] && check_opt+=(--use-vad "$use_vad")
# what the embeddings depend on: model, features, VAD, the data dir's feature options, options
signature=$( { cksum < "$model"; cksum < "$data/feats.scp"
  [ -f "$data/vad.scp" ] && cksum < "$data/vad.scp"
  cat "$data"/conf/*.conf 2>/dev/null | cksum
  echo "chunk=$chunk_size min_chunk=$min_chunk_size ${check_opt[*]}"; } | cksum)
if [ -f "$dir/xvector.scp" ] && [ -f "$dir/spk_xvector.scp" ] && [ -f "$dir/.signature" ] \
    && [ "$(cat "$dir/.signature")" = "$signature" ]; then
  echo "$0: $dir/xvector.scp is up to date (same model, features and options); skipping"
  exit 0
fi
rm -f "$dir/.signature"
gpu_opt=0
device=cpu
if $use_gpu; then gpu_opt=1; device=cuda; fi

mkdir -p "$dir/log"
num_utts=$(wc -l < "$data/feats.scp")
[ "$nj" -gt "$num_utts" ] && nj=$num_utts
utils/split_data.sh --per-utt "$data" "$nj"
sdata=$data/split${nj}utt
vad_opt=()
[ -f "$data/vad.scp" ] && vad_opt=(--vad-scp "$sdata/JOB/vad.scp")

start=$(date +%s)
# shellcheck disable=SC2086
$cmd --gpu "$gpu_opt" JOB=1:"$nj" "$dir/log/extract.JOB.log" \
  python -m TrainAndTest.bin.extract_embeddings --model "$model" --feats-scp "$sdata/JOB/feats.scp" \
    "${vad_opt[@]}" "${check_opt[@]}" --data-dir "$data" --chunk-size "$chunk_size" \
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
echo "$signature" > "$dir/.signature"
echo "$0: extracted $got embeddings into $dir in $(( $(date +%s) - start )) s"
