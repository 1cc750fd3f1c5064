#!/usr/bin/env bash
# Cosine scoring of a trial list; optionally prints EER/minDCF of labelled trials.
# Output: <scores> with 'enrol test score' lines in trial order; log in <scores-dir>/log/.
set -euo pipefail

cmd=run.pl            # job backend ($decode_cmd from cmd.sh)
enrol_spk=false       # enrol with speaker means (<enrol-dir>/spk_xvector.scp)
allow_missing=false   # drop trials whose ids have no embedding instead of failing
compute_metrics=true  # print EER/minDCF when the trials have labels
help_message="Usage: $0 [options] <trials> <enrol-xvector-dir> <test-xvector-dir> <scores>
 e.g.: $0 data/voxceleb1_test/trials exp/ecapa/xvectors_voxceleb1_test exp/ecapa/xvectors_voxceleb1_test exp/ecapa/scores/cosine_voxceleb1_test
Options:
  --cmd <cmd>                job backend (default run.pl)
  --enrol-spk <bool>         use spk_xvector.scp of the enrol dir (default false)
  --allow-missing <bool>     drop trials without embeddings (default false)
  --compute-metrics <bool>   print EER/minDCF (default true)"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 4 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
trials=$1
enrol_dir=$2
test_dir=$3
scores=$4

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
start=$(date +%s)
enrol_scp=$enrol_dir/xvector.scp
$enrol_spk && enrol_scp=$enrol_dir/spk_xvector.scp
test_scp=$test_dir/xvector.scp
for f in "$trials" "$enrol_scp" "$test_scp"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
missing_opt=()
$allow_missing && missing_opt=(--allow-missing)
logdir=$(dirname "$scores")/log
mkdir -p "$logdir"
name=$(basename "$scores")
log "cosine scoring: $trials -> $scores"
$cmd "$logdir/score_cosine.$name.log" \
  python -m TrainAndTest.bin.score_cosine "${missing_opt[@]}" "$trials" "$enrol_scp" "$test_scp" "$scores" \
  || { echo "$0: scoring failed; see $logdir/score_cosine.$name.log" >&2; tail -n 5 "$logdir/score_cosine.$name.log" >&2; exit 1; }
if $compute_metrics && [ "$(awk 'NR==1{print NF}' "$trials")" = 3 ]; then
  python -m TrainAndTest.bin.compute_metrics "${missing_opt[@]}" "$trials" "$scores"
fi
log "done in $(( $(date +%s) - start )) s"
