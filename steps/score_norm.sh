#!/usr/bin/env bash
# Score normalisation (Z/T/S-norm, adaptive S-norm) of a score file with an impostor cohort.
# Output: <scores-out>; log in <scores-out-dir>/log/.
set -euo pipefail

cmd=run.pl            # job backend ($decode_cmd from cmd.sh)
method=asnorm         # znorm | tnorm | snorm | asnorm
top_k=300             # cohort vectors kept per side for asnorm
cohort_spk=true       # cohort = speaker means (<cohort-dir>/spk_xvector.scp), else utterances
plda=                 # back-end .npz (from score_plda.sh) when the scores are PLDA scores
enrol_spk=false       # enrol with speaker means (<enrol-dir>/spk_xvector.scp)
allow_missing=false   # drop trials without embeddings or scores instead of failing
compute_metrics=true  # print EER/minDCF when the trials have labels
help_message="Usage: $0 [options] <trials> <scores-in> <enrol-xvector-dir> <test-xvector-dir> <cohort-xvector-dir> <scores-out>
 e.g.: $0 --method asnorm --top-k 300 data/voxceleb1_test/trials exp/ecapa/scores/cosine_voxceleb1_test exp/ecapa/xvectors_voxceleb1_test exp/ecapa/xvectors_voxceleb1_test exp/ecapa/xvectors_train exp/ecapa/scores/cosine_asnorm_voxceleb1_test
Options:
  --cmd <cmd>                job backend (default run.pl)
  --method <name>            znorm | tnorm | snorm | asnorm (default asnorm)
  --top-k <n>                asnorm cohort size per side (default 300)
  --cohort-spk <bool>        cohort of speaker means (default true)
  --plda <file.npz>          PLDA back-end for cohort scores (default: cosine)
  --enrol-spk <bool>         use spk_xvector.scp of the enrol dir (default false)
  --allow-missing <bool>     drop trials without embeddings/scores (default false)
  --compute-metrics <bool>   print EER/minDCF (default true)"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 6 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
trials=$1
scores_in=$2
enrol_dir=$3
test_dir=$4
cohort_dir=$5
scores_out=$6

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
start=$(date +%s)
case $method in znorm|tnorm|snorm|asnorm) ;; *) echo "$0: --method must be znorm, tnorm, snorm or asnorm, got '$method'" >&2; exit 1 ;; esac
enrol_scp=$enrol_dir/xvector.scp
$enrol_spk && enrol_scp=$enrol_dir/spk_xvector.scp
cohort_scp=$cohort_dir/xvector.scp
$cohort_spk && cohort_scp=$cohort_dir/spk_xvector.scp
for f in "$trials" "$scores_in" "$enrol_scp" "$test_dir/xvector.scp" "$cohort_scp"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
opts=(--method "$method" --top-k "$top_k")
$allow_missing && opts+=(--allow-missing)
if [ -n "$plda" ]; then
  [ -f "$plda" ] || { echo "$0: no such file $plda" >&2; exit 1; }
  opts+=(--plda "$plda")
fi
logdir=$(dirname "$scores_out")/log
mkdir -p "$logdir"
name=$(basename "$scores_out")
log "$method: $scores_in -> $scores_out (cohort $cohort_scp)"
$cmd "$logdir/score_norm.$name.log" \
  python -m TrainAndTest.bin.score_norm "${opts[@]}" "$trials" "$scores_in" "$enrol_scp" \
    "$test_dir/xvector.scp" "$cohort_scp" "$scores_out" \
  || { echo "$0: normalisation failed; see $logdir/score_norm.$name.log" >&2; tail -n 5 "$logdir/score_norm.$name.log" >&2; exit 1; }
if $compute_metrics && [ "$(awk 'NR==1{print NF}' "$trials")" = 3 ]; then
  missing_opt=()
  $allow_missing && missing_opt=(--allow-missing)
  python -m TrainAndTest.bin.compute_metrics "${missing_opt[@]}" "$trials" "$scores_out"
fi
log "done in $(( $(date +%s) - start )) s"
