#!/usr/bin/env bash
# Speaker diarization of a data dir of recordings with a trained speaker model:
# speech activity -> sliding-window embeddings (the model's own front end) -> clustering ->
# frame voting into turns -> <out-dir>/rttm; with a reference <data>/rttm also
# <out-dir>/RESULTS.md (DER, miss, false alarm, confusion per recording and overall) and
# <out-dir>/plots/<reco>.png (reference and hypothesis tracks on one time axis).
# The data dir: wav.scp, optional reco2num_spk (oracle counts) and rttm (reference).
# Library: TrainAndTest/diarization/ (through python -m TrainAndTest.bin.diarize).
set -euo pipefail

stage=0
stop_stage=3
nj=4                          # parallel jobs (capped at the number of recordings)
cmd=run.pl                    # job backend ($decode_cmd from cmd.sh)
sad=silero                    # speech activity: energy|silero|oracle
sad_rttm=                     # reference turns of --sad oracle (default <data>/rttm)
sad_opts=                     # more options of 'diarize sad', e.g. "--silero-threshold 0.5"
mfcc_config=conf/mfcc_30.conf # features of --sad energy (C0 is the log energy)
vad_config=conf/vad.conf      # compute-vad options of --sad energy
window=1.5                    # embedding window, seconds
shift=0.75                    # window shift, seconds
batch_size=32                 # windows per network call
num_threads=1                 # torch threads per job
cluster=ahc                   # clustering: ahc|spectral|umap_hdbscan
num_speakers_from_reference=false  # true: the count of <data>/reco2num_spk
threshold=0.3                 # ahc/umap_hdbscan stopping threshold (cosine similarity)
overlap_ratio=                # second speaker of a frame with this share of the top vote (empty: none)
tune=false                    # true: pick the threshold on THIS data dir (a dev set) first
thresholds=0.0:0.8:0.05       # grid of --tune true (start:stop:step)
collar=0.25                   # scoring collar, seconds in total around each boundary
help_message="Usage: $0 [options] <exp-dir|final.pt> <data-dir> <out-dir>
 e.g.: $0 --sad silero --cluster ahc --tune true exp/ecapa data/diar_mini_dev exp/ecapa/diar_dev
       $0 --threshold \$(cat exp/ecapa/diar_dev/threshold) exp/ecapa data/diar_mini_test exp/ecapa/diar_test
Options:
  --stage <n> / --stop-stage <n>   0 SAD, 1 embeddings, 2 clustering, 3 scoring and plots
  --nj <n>                         parallel jobs (default 4)
  --cmd <cmd>                      job backend (default run.pl)
  --sad energy|silero|oracle       speech activity (default silero)
  --sad-rttm <rttm>                turns of --sad oracle (default <data>/rttm)
  --sad-opts <opts>                more 'diarize sad' options (silero: --silero-threshold,
                                   --silero-pad, --silero-min-silence, --silero-min-speech;
                                   defaults chosen on diar_mini dev, see 'diarize tune-sad')
  --mfcc-config/--vad-config <f>   options of --sad energy (default conf/mfcc_30.conf, conf/vad.conf)
  --window <s> / --shift <s>       embedding windows (default 1.5 / 0.75)
  --cluster ahc|spectral|umap_hdbscan   (default ahc)
  --num-speakers-from-reference true|false   oracle speaker count (default false)
  --threshold <x>                  ahc stopping threshold (default 0.3)
  --overlap-ratio <r>              also give a frame the speaker whose vote is >= r times
                                   the top vote, 0 < r <= 1 (default: one speaker per frame)
  --tune true|false                choose the threshold on this data dir (a dev set)
  --thresholds <a:b:step>          grid of --tune (default 0.0:0.8:0.05)
  --collar <s>                     scoring collar (default 0.25)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
[ -f ./path.sh ] && . ./path.sh
model=$1
data=$2
dir=$3
[ -d "$model" ] && model=$model/final.pt
[ -f "$model" ] || { echo "$0: no model at $model" >&2; exit 1; }
[ -f "$data/wav.scp" ] || { echo "$0: no $data/wav.scp" >&2; exit 1; }
case "$sad" in energy|silero|oracle) ;; *) echo "$0: --sad $sad: valid are energy silero oracle" >&2; exit 1 ;; esac
case "$cluster" in ahc|spectral|umap_hdbscan) ;; *) echo "$0: --cluster $cluster: valid are ahc spectral umap_hdbscan" >&2; exit 1 ;; esac
[ "$sad" = oracle ] && sad_rttm=${sad_rttm:-$data/rttm}
if [ "$sad" = oracle ] && [ ! -f "$sad_rttm" ]; then
  echo "$0: --sad oracle needs a reference: no $sad_rttm (give --sad-rttm)" >&2; exit 1
fi
count_opt=()
if $num_speakers_from_reference; then
  [ -f "$data/reco2num_spk" ] || { echo "$0: --num-speakers-from-reference true needs $data/reco2num_spk" >&2; exit 1; }
  count_opt=(--reco2num-spk "$data/reco2num_spk")
fi
if $tune && [ ! -f "$data/rttm" ]; then
  echo "$0: --tune true needs a reference $data/rttm" >&2; exit 1
fi
start=$(date +%s)
mkdir -p "$dir/log"
num_recos=$(wc -l < "$data/wav.scp")
[ "$nj" -gt "$num_recos" ] && nj=$num_recos
split=$dir/split$nj

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: speech activity ($sad): $data/wav.scp -> $dir/segments"
  mkdir -p "$split"
  parts=()
  for j in $(seq "$nj"); do parts+=("$split/wav.$j.scp"); done
  utils/split_scp.pl "$data/wav.scp" "${parts[@]}"
  sad_opt=(--method "$sad")
  read -r -a extra <<< "$sad_opts"
  sad_opt+=("${extra[@]}")
  [ "$sad" = oracle ] && sad_opt+=(--sad-rttm "$sad_rttm")
  [ "$sad" = energy ] && sad_opt+=(--mfcc-config "$mfcc_config" --vad-config "$vad_config")
  $cmd JOB=1:"$nj" "$dir/log/sad.JOB.log" \
    python -m TrainAndTest.bin.diarize sad "${sad_opt[@]}" --wav-scp "$split/wav.JOB.scp" \
      --segments "$split/segments.JOB" --reco2dur "$split/reco2dur.JOB"
  for j in $(seq "$nj"); do cat "$split/segments.$j"; done | LC_ALL=C sort > "$dir/.segments.tmp"
  for j in $(seq "$nj"); do cat "$split/reco2dur.$j"; done | LC_ALL=C sort > "$dir/.reco2dur.tmp"
  got=$(wc -l < "$dir/.reco2dur.tmp")
  [ "$got" -eq "$num_recos" ] || { echo "$0: SAD of $got of $num_recos recordings; see $dir/log/sad.*.log" >&2; exit 1; }
  mv "$dir/.segments.tmp" "$dir/segments"
  mv "$dir/.reco2dur.tmp" "$dir/reco2dur"
  echo "$sad${sad_opts:+ ($sad_opts)}" > "$dir/sad"
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: embeddings (window $window s, shift $shift s): $dir/segments -> $dir/embeddings"
  signature=$( { cksum < "$model"; cksum < "$dir/segments"; cksum < "$data/wav.scp"
    echo "window=$window shift=$shift nj=$nj"; } | cksum)
  if [ -f "$dir/embeddings/.signature" ] && [ "$(cat "$dir/embeddings/.signature")" = "$signature" ]; then
    log "$dir/embeddings is up to date (same model, segments and options); skipping"
  else
    rm -f "$dir/embeddings/.signature"
    $cmd JOB=1:"$nj" "$dir/log/embed.JOB.log" \
      python -m TrainAndTest.bin.diarize embed --model "$model" --wav-scp "$split/wav.JOB.scp" \
        --segments "$split/segments.JOB" --reco2dur "$split/reco2dur.JOB" \
        --out-dir "$dir/embeddings" --window "$window" --shift "$shift" \
        --batch-size "$batch_size" --num-threads "$num_threads"
    got=$(find "$dir/embeddings" -name '*.npz' | wc -l)
    [ "$got" -ge "$num_recos" ] || { echo "$0: embeddings of $got of $num_recos recordings; see $dir/log/embed.*.log" >&2; exit 1; }
    echo "$signature" > "$dir/embeddings/.signature"
  fi
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  if $tune; then
    log "Stage 2: threshold sweep $thresholds on $data (development set) -> $dir/threshold"
    python -m TrainAndTest.bin.diarize tune --method "$cluster" --segments "$dir/segments" \
      --reco2dur "$dir/reco2dur" --emb-dir "$dir/embeddings" --ref-rttm "$data/rttm" \
      --thresholds "$thresholds" --collar "$collar" --out "$dir/threshold" \
      --table "$dir/threshold_sweep.md"
    threshold=$(cat "$dir/threshold")
  fi
  overlap_opt=()
  [ -n "$overlap_ratio" ] && overlap_opt=(--overlap-ratio "$overlap_ratio")
  log "Stage 2: clustering ($cluster, threshold $threshold${count_opt[*]:+, oracle count}${overlap_ratio:+, overlap ratio $overlap_ratio}) -> $dir/rttm"
  python -m TrainAndTest.bin.diarize cluster --method "$cluster" --threshold "$threshold" \
    "${count_opt[@]}" "${overlap_opt[@]}" --segments "$dir/segments" \
    --reco2dur "$dir/reco2dur" --emb-dir "$dir/embeddings" --rttm "$dir/rttm"
  echo "$threshold" > "$dir/threshold_used"
  echo "${overlap_ratio:-none}" > "$dir/overlap_ratio_used"
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  ref_opt=()
  if [ -f "$data/rttm" ]; then
    log "Stage 3: DER (collar $collar, overlap scored) and plots -> $dir/RESULTS.md, $dir/plots"
    count=estimated
    $num_speakers_from_reference && count="oracle (reco2num_spk)"
    python -m TrainAndTest.bin.diarize score --ref-rttm "$data/rttm" --hyp-rttm "$dir/rttm" \
      --reco2dur "$dir/reco2dur" --collar "$collar" --results "$dir/RESULTS.md" \
      --describe "- model: $model
- data: $data ($num_recos recordings)
- speech activity: $(cat "$dir/sad"); windows $window s / $shift s
- clustering: $cluster, threshold $(cat "$dir/threshold_used"), speaker count $count
- second speaker in overlap: overlap ratio $(cat "$dir/overlap_ratio_used" 2>/dev/null || echo none)"
    cat "$dir/RESULTS.md"
    ref_opt=(--ref-rttm "$data/rttm")
  else
    log "Stage 3: plots -> $dir/plots (no $data/rttm: no DER)"
  fi
  python -m TrainAndTest.bin.diarize plot "${ref_opt[@]}" --hyp-rttm "$dir/rttm" \
    --reco2dur "$dir/reco2dur" --out-dir "$dir/plots"
fi
log "done in $(( $(date +%s) - start )) s"
