#!/usr/bin/env bash
# Compute Kaldi features for a data dir as a job array through $cmd: log mel filterbanks by
# default, or MFCC / PLP / spectrogram with --feature-type (steps/make_mfcc.sh,
# steps/make_plp.sh and steps/make_spect.sh call this script that way).
# Output: <feat-dir>/raw_<type>_<name>.JOB.{ark,scp}; in the data dir feats.scp,
# utt2num_frames, frame_shift and conf/<type>.conf (the options used).
# Utterances shorter than one frame are reported in the logs and dropped from the data dir
# (utils/fix_data_dir.sh); the step fails when fewer than 95% got features.
set -euo pipefail

nj=4                              # parallel jobs (capped at the number of utterances)
cmd=run.pl                        # job backend ($train_cmd from cmd.sh)
feature_type=fbank                # fbank | mfcc | plp | spectrogram
# shellcheck disable=SC2034  # read through \${!config_var}
fbank_config=conf/fbank.conf      # Kaldi options, one --name=value per line
# shellcheck disable=SC2034
mfcc_config=conf/mfcc.conf
# shellcheck disable=SC2034
plp_config=conf/plp.conf
# shellcheck disable=SC2034
spect_config=conf/spect_161.conf
compress=true                     # write compressed matrices (Kaldi's copy-feats --compress)
write_utt2num_frames=true         # write <data>/utt2num_frames
# shellcheck disable=SC2034
write_utt2dur=false               # accepted for Kaldi compatibility (utt2dur is not written)

case "${1:-}" in --feature-type) feature_type=${2:-fbank} ;; esac
case $feature_type in
  fbank) short=fbank ;; mfcc) short=mfcc ;; plp) short=plp ;; spectrogram) short=spect ;;
  *) echo "$0: --feature-type must be fbank, mfcc, plp or spectrogram, got '$feature_type'" >&2
     exit 1 ;;
esac
script=steps/make_$short.sh
help_message="Usage: $script [options] <data-dir> [<log-dir> [<${short}-dir>]]
 e.g.: $script --nj 4 --cmd run.pl --${short}-config conf/${short}.conf data/train exp/make_${short}/train ${short}
 <log-dir> defaults to <data-dir>/log, <${short}-dir> to <data-dir>/data.
Options:
  --nj <n>                       parallel jobs (default $nj)
  --cmd <cmd>                    job backend (default $cmd)
  --${short}-config <file>       Kaldi option file
  --compress <bool>              compress the matrices (default $compress)
  --write-utt2num-frames <bool>  write utt2num_frames (default $write_utt2num_frames)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"

echo "$script $*"
. utils/parse_options.sh

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
data=$1
logdir=${2:-$data/log}
featdir=${3:-$data/data}
config_var=${short}_config
config=${!config_var}
name=$(basename "$data")
start=$(date +%s)

[ -f "$config" ] || { echo "$script: no such option file: $config" >&2; exit 1; }
[ -f "$data/wav.scp" ] || { echo "$script: no such file: $data/wav.scp" >&2; exit 1; }
utils/validate_data_dir.sh --no-text --no-feats "$data"

mkdir -p "$logdir" "$featdir" "$data/conf"
featdir=$(cd "$featdir" && pwd)
# Signature of the inputs: options, the option file's content, wav.scp/segments by content
# and the audio files wav.scp names by size and mtime. Skip only when it is unchanged and
# every archive feats.scp names is still there; touching an input changes nothing.
stamp=$logdir/.make_${short}_${name}.done
input_signature() {
  signature --option "$feature_type compress=$compress utt2num_frames=$write_utt2num_frames" \
    --option "featdir=$featdir" "$config" --table "$data/wav.scp" "$data/segments"
}
if up_to_date "$stamp" "$(input_signature)" && scp_archives_exist "$data/feats.scp" \
    && { ! $write_utt2num_frames || [ -f "$data/utt2num_frames" ]; }; then
  log "$data/feats.scp is up to date ($feature_type, same inputs and options); skipping"
  exit 0
fi
forget_stamp "$stamp"
[ -f "$data/feats.scp" ] && mv "$data/feats.scp" "$data/.backup.feats.scp"
cp "$config" "$data/conf/$short.conf"

num_utts=$(wc -l < "$data/utt2spk")
[ "$nj" -gt "$num_utts" ] && nj=$num_utts
utils/split_data.sh --per-utt "$data" "$nj"
sdata=$data/split${nj}utt
seg_opt=()
[ -f "$data/segments" ] && seg_opt=(--segments="$sdata/JOB/segments")

log "computing $feature_type for $num_utts utterances of $data with $nj jobs ($config)"
if ! $cmd JOB=1:"$nj" "$logdir/make_${short}_${name}.JOB.log" \
    python -m Process_Data.bin.compute_feats --feature-type="$feature_type" \
      --config="$config" --compress="$compress" "${seg_opt[@]}" \
      --write-utt2num-frames="$logdir/utt2num_frames_${name}.JOB" \
      "$sdata/JOB/wav.scp" \
      "ark,scp:$featdir/raw_${short}_${name}.JOB.ark,$featdir/raw_${short}_${name}.JOB.scp"; then
  for f in "$logdir/make_${short}_${name}".*.log; do
    if ! grep -q '^# Ended (code 0)' "$f"; then echo "== $f" >&2; tail -n 20 "$f" >&2; fi
  done
  echo "$script: feature extraction failed; logs in $logdir" >&2
  exit 1
fi

for j in $(seq "$nj"); do cat "$featdir/raw_${short}_${name}.$j.scp"; done \
  | LC_ALL=C sort > "$data/.feats.scp.tmp"
mv "$data/.feats.scp.tmp" "$data/feats.scp"
if $write_utt2num_frames; then
  for j in $(seq "$nj"); do cat "$logdir/utt2num_frames_${name}.$j"; done \
    | LC_ALL=C sort > "$data/.utt2num_frames.tmp"
  mv "$data/.utt2num_frames.tmp" "$data/utt2num_frames"
fi
# frame shift in seconds: the last --frame-shift of the option file (ms), default 10
shift_ms=$(sed -n 's/#.*//; s/^[[:space:]]*--frame-shift=\([0-9.]*\).*/\1/p' "$config" | tail -n 1)
awk -v ms="${shift_ms:-10}" 'BEGIN { printf "%g\n", ms / 1000 }' > "$data/frame_shift"

num_feats=$(wc -l < "$data/feats.scp")
if [ "$num_feats" -ne "$num_utts" ]; then
  log "WARNING: $((num_utts - num_feats)) of $num_utts utterances got no features" \
    "(too short or unreadable; see $logdir/make_${short}_${name}.*.log)"
  if [ $((num_feats * 100)) -lt $((num_utts * 95)) ]; then
    echo "$script: fewer than 95% of the utterances got features; giving up" >&2
    exit 1
  fi
  utils/fix_data_dir.sh "$data"
fi
utils/validate_data_dir.sh --no-text "$data"
write_stamp "$stamp" "$(input_signature)"  # after fix_data_dir.sh: the inputs as they are now
log "done: $num_feats utterances of $data have $feature_type features in $featdir" \
  "($(( $(date +%s) - start )) s)"
