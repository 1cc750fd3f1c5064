#!/usr/bin/env bash
# Make training egs from a data dir's features: shuffled, class-balanced random-length
# chunks in archives (egs.N.ark/scp/labels or egs.N.h5), with egs/info, spk2int, a
# validation set of held-out utterances and a train-diagnostic subset.
# The plan (which chunk goes where) is drawn once; the archives are written by a job array.
set -euo pipefail

cmd=run.pl            # job backend ($train_cmd from cmd.sh)
stage=0               # 0: plan, 1: write archives, 2: check counts
stop_stage=2
min_len=200           # drop utterances with fewer (voiced) frames
min_frames=200        # shortest chunk
max_frames=400        # longest chunk
num_repeats=1         # passes over the data
num_archives=0        # 0: from --egs-per-archive
egs_per_archive=20000 # target egs per archive
num_valid_utts=100    # held-out utterances of training speakers
valid_chunks_per_utt=1
num_diagnostic_egs=1000
cmn_window=0          # sliding CMN window in frames (0: off)
use_vad=true          # drop unvoiced frames using vad.scp
format=ark            # ark | h5
compress=false        # Kaldi compressed matrices (ark) / float16 (h5)
seed=0
spk2int=""            # label with this speaker -> class table (e.g. the egs of the model fine-tuned)
help_message="Usage: $0 [options] <data> <egs-dir>
 e.g.: $0 --cmd \"\$train_cmd\" --min-frames 200 --max-frames 400 --num-repeats 2 data/train_combined exp/egs
Options:
  --cmd <cmd>               job backend (default run.pl)
  --stage/--stop-stage <n>  0 plan, 1 write, 2 check (default 0..2)
  --min-len <frames>        drop shorter utterances (default 200)
  --min-frames/--max-frames chunk length range (default 200 400)
  --num-repeats <n>         (default 1)
  --num-archives <n>        (default 0: egs-per-archive decides)
  --egs-per-archive <n>     (default 20000)
  --num-valid-utts <n>      (default 100)
  --num-diagnostic-egs <n>  (default 1000)
  --cmn-window <frames>     sliding CMN (default 0: off)
  --use-vad <bool>          (default true)
  --format <ark|h5>         (default ark)
  --compress <bool>         (default false)
  --seed <n>                (default 0)
  --spk2int <file>          classes from this table (another egs dir's spk2int), so that
                            fine-tuning egs keep the labels of the model they continue"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
data=$1
dir=$2
start=$(date +%s)

opts=(--min-len "$min_len" --min-frames "$min_frames" --max-frames "$max_frames"
  --num-repeats "$num_repeats" --num-archives "$num_archives" --egs-per-archive "$egs_per_archive"
  --num-valid-utts "$num_valid_utts" --valid-chunks-per-utt "$valid_chunks_per_utt"
  --num-diagnostic-egs "$num_diagnostic_egs" --cmn-window "$cmn_window" --use-vad "$use_vad"
  --format "$format" --compress "$compress" --seed "$seed")
# only when given, so that egs made before the option existed keep their signature
[ -z "$spk2int" ] || opts+=(--spk2int "$spk2int")
ext=ark
[ "$format" = h5 ] && ext=h5
out_file() { if [ "$ext" = h5 ]; then echo "$1.h5"; else echo "$1.scp"; fi; }

# What the egs are made of: every option, the data dir's tables (feats.scp and vad.scp with
# the archives they name, by size and mtime), and its conf/ (the front end's options).
input_signature() {
  local vad=()
  $use_vad && vad=(--table "$data/vad.scp")
  local table=()
  [ -n "$spk2int" ] && table=("$spk2int")
  signature --option "${opts[*]}" --table "$data/feats.scp" "${vad[@]}" "$data/utt2spk" \
    "$data/utt2num_frames" "$data/frame_shift" "$data/conf" ${table[@]+"${table[@]}"}
}
egs_complete() {  # every archive of info/num_archives, the valid and diagnostic egs exist
  local j n f
  n=$(cat "$dir/info/num_archives" 2>/dev/null) || return 1
  for j in $(seq "$n") valid_egs train_diagnostic; do
    case $j in [0-9]*) f=$(out_file "$dir/egs.$j") ;; *) f=$(out_file "$dir/$j") ;; esac
    if [ "$ext" = ark ]; then scp_archives_exist "$f" || return 1; else [ -f "$f" ] || return 1; fi
  done
}
stamp=$dir/.egs.done
sig=$(input_signature)
if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 2 ] && up_to_date "$stamp" "$sig" && egs_complete; then
  log "$dir is up to date (same data and options); skipping"
  exit 0
fi
forget_stamp "$stamp"

mkdir -p "$dir/log"
if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: plan chunks: $data -> $dir/temp/ranges.*, $dir/info"
  rm -f "$dir"/egs.*.* "$dir"/valid_egs.* "$dir"/train_diagnostic.* "$dir"/temp/ranges.* \
    "$dir/temp/plan.done"
  python -m Process_Data.bin.make_egs plan "${opts[@]}" "$data" "$dir" | tee "$dir/log/plan.log"
  write_stamp "$dir/temp/plan.done" "$sig"  # the plan's inputs: a later --stage 1 can finish it
fi

num_archives=$(cat "$dir/info/num_archives")
if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: write $num_archives archives ($format) with $cmd"
  # one job per archive; the backend decides how many run at once (run.pl: one per CPU)
  $cmd JOB=1:"$num_archives" "$dir/log/write.JOB.log" \
    python -m Process_Data.bin.make_egs write "${opts[@]}" "$data" "$dir/temp/ranges.JOB" "$dir/egs.JOB"
  for name in valid_egs train_diagnostic; do
    python -m Process_Data.bin.make_egs write "${opts[@]}" "$data" "$dir/temp/$name.ranges" \
      "$dir/$name" > "$dir/log/write.$name.log" 2>&1 \
      || { echo "$0: writing $name failed; see $dir/log/write.$name.log" >&2; exit 1; }
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: check egs counts against $dir/info/num_egs"
  want=$(cat "$dir/info/num_egs")
  got=0
  for j in $(seq "$num_archives"); do
    f=$(out_file "$dir/egs.$j")
    [ -f "$f" ] || { echo "$0: $f is missing; see $dir/log/write.$j.log" >&2; exit 1; }
    n=$(wc -l < "$dir/temp/ranges.$j")
    if [ "$ext" = ark ] && [ "$(wc -l < "$f")" -ne "$n" ]; then
      echo "$0: $f has $(wc -l < "$f") egs, expected $n; see $dir/log/write.$j.log" >&2; exit 1
    fi
    got=$((got + n))
  done
  if [ "$got" -ne "$want" ]; then
    echo "$0: archives hold $got egs, info/num_egs says $want" >&2; exit 1
  fi
  # complete, and planned from the inputs as they are now: later runs may skip
  sig=$(input_signature)
  if up_to_date "$dir/temp/plan.done" "$sig"; then write_stamp "$stamp" "$sig"; fi
fi
log "made $(cat "$dir/info/num_egs") egs of $(cat "$dir/info/num_speakers") speakers in $num_archives archives under $dir in $(( $(date +%s) - start )) s"
