#!/usr/bin/env bash
# Energy VAD for a data dir with features (Kaldi compute-vad semantics on column 0, the
# C0 / log energy), as a job array through $cmd.
# Output: <vad-dir>/vad_<name>.JOB.{ark,scp} and <data>/vad.scp.
set -euo pipefail

nj=4                        # parallel jobs (capped at the number of utterances)
cmd=run.pl                  # job backend ($train_cmd from cmd.sh)
vad_config=conf/vad.conf    # --vad-energy-threshold --vad-energy-mean-scale ...
help_message="Usage: $0 [options] <data-dir> [<log-dir> [<vad-dir>]]
 e.g.: $0 --nj 4 --cmd run.pl --vad-config conf/vad.conf data/train exp/make_vad/train mfcc
 <log-dir> defaults to <data-dir>/log, <vad-dir> to <data-dir>/data.
Options:
  --nj <n>              parallel jobs (default $nj)
  --cmd <cmd>           job backend (default $cmd)
  --vad-config <file>   compute-vad options (default $vad_config)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
data=$1
logdir=${2:-$data/log}
vaddir=${3:-$data/data}
name=$(basename "$data")
start=$(date +%s)

[ -f "$vad_config" ] || { echo "$0: no such option file: $vad_config" >&2; exit 1; }
[ -f "$data/feats.scp" ] || { echo "$0: no such file: $data/feats.scp" >&2; exit 1; }
utils/validate_data_dir.sh --no-text --no-wav "$data"

mkdir -p "$logdir" "$vaddir"
vaddir=$(cd "$vaddir" && pwd)
# Skip when the options and the features (feats.scp and its archives) are unchanged and
# every archive vad.scp names is still there.
stamp=$logdir/.vad_${name}.done
input_signature() { signature --option "vaddir=$vaddir" "$vad_config" --table "$data/feats.scp"; }
if up_to_date "$stamp" "$(input_signature)" && scp_archives_exist "$data/vad.scp"; then
  log "$data/vad.scp is up to date (same features and options); skipping"
  exit 0
fi
forget_stamp "$stamp"

num_utts=$(wc -l < "$data/feats.scp")
[ "$nj" -gt "$num_utts" ] && nj=$num_utts
utils/split_data.sh --per-utt "$data" "$nj"
sdata=$data/split${nj}utt

log "computing VAD for $num_utts utterances of $data with $nj jobs ($vad_config)"
if ! $cmd JOB=1:"$nj" "$logdir/vad_${name}.JOB.log" \
    python -m Process_Data.bin.compute_vad --config="$vad_config" \
      "scp:$sdata/JOB/feats.scp" "ark,scp:$vaddir/vad_${name}.JOB.ark,$vaddir/vad_${name}.JOB.scp"; then
  for f in "$logdir/vad_${name}".*.log; do
    if ! grep -q '^# Ended (code 0)' "$f"; then echo "== $f" >&2; tail -n 20 "$f" >&2; fi
  done
  echo "$0: VAD failed; logs in $logdir" >&2
  exit 1
fi

for j in $(seq "$nj"); do cat "$vaddir/vad_${name}.$j.scp"; done | LC_ALL=C sort > "$data/.vad.scp.tmp"
got=$(wc -l < "$data/.vad.scp.tmp")
if [ "$got" -ne "$num_utts" ]; then
  rm -f "$data/.vad.scp.tmp"
  echo "$0: only $got of $num_utts utterances got a VAD decision; see $logdir/vad_${name}.*.log" >&2
  exit 1
fi
mv "$data/.vad.scp.tmp" "$data/vad.scp"
# the VAD options travel with the data dir (into the egs' and the model's front end)
mkdir -p "$data/conf" && cp "$vad_config" "$data/conf/.vad.conf.tmp" && mv "$data/conf/.vad.conf.tmp" "$data/conf/vad.conf"
write_stamp "$stamp" "$(input_signature)"
log "done: vad.scp for $got utterances of $data ($(( $(date +%s) - start )) s)"
