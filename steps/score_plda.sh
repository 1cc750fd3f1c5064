#!/usr/bin/env bash
# PLDA scoring (Kaldi VoxCeleb v2 style): train mean + LDA + length norm + PLDA on the
# training embeddings (reused when up to date), then score a trial list.
# Output: <scores>; the back-end in <train-xvector-dir>/plda_<type>_lda<dim>.npz.
set -euo pipefail

cmd=run.pl            # job backend ($train_cmd from cmd.sh)
plda_type=kaldi       # kaldi (two-covariance) | simplified (SIDEKIT/SpeechBrain)
lda_dim=200           # LDA dimension; 0 disables LDA
length_norm=true      # length normalisation after LDA
num_em_iters=10       # PLDA EM iterations
rank_f=100            # speaker-subspace rank (simplified PLDA)
enrol_spk=false       # enrol with speaker means and their num_utts.ark
allow_missing=false   # drop trials whose ids have no embedding instead of failing
compute_metrics=true  # print EER/minDCF when the trials have labels
adapt_domain=         # domain of the trials: its training utterances (<train-data>/utt2domain) ...
domain_weight=1       # ... count this many times in LDA and PLDA training (1: no adaptation)
help_message="Usage: $0 [options] <train-data> <train-xvector-dir> <trials> <enrol-xvector-dir> <test-xvector-dir> <scores>
 e.g.: $0 --lda-dim 200 data/train exp/ecapa/xvectors_train data/voxceleb1_test/trials exp/ecapa/xvectors_voxceleb1_test exp/ecapa/xvectors_voxceleb1_test exp/ecapa/scores/plda_voxceleb1_test
Options:
  --cmd <cmd>                job backend (default run.pl)
  --plda-type <type>         kaldi | simplified (default kaldi)
  --lda-dim <n>              LDA dimension, 0 = none (default 200)
  --length-norm <bool>       length normalisation (default true)
  --num-em-iters <n>         EM iterations (default 10)
  --rank-f <n>               simplified PLDA rank (default 100)
  --enrol-spk <bool>         enrol with spk_xvector.scp + num_utts.ark (default false)
  --allow-missing <bool>     drop trials without embeddings (default false)
  --compute-metrics <bool>   print EER/minDCF (default true)
  --adapt-domain <name>      up-weight the training utterances of this domain (<train-data>/utt2domain)
  --domain-weight <n>        how many times they count (default 1: no adaptation)"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 6 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
train_data=$1
train_dir=$2
trials=$3
enrol_dir=$4
test_dir=$5
scores=$6

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
start=$(date +%s)
case $plda_type in kaldi|simplified) ;; *) echo "$0: --plda-type must be kaldi or simplified, got '$plda_type'" >&2; exit 1 ;; esac
enrol_scp=$enrol_dir/xvector.scp
num_utts_opt=()
if $enrol_spk; then
  enrol_scp=$enrol_dir/spk_xvector.scp
  num_utts_opt=(--num-utts "$enrol_dir/num_utts.ark")
  [ -f "$enrol_dir/num_utts.ark" ] || { echo "$0: no such file $enrol_dir/num_utts.ark" >&2; exit 1; }
fi
for f in "$train_data/utt2spk" "$train_dir/xvector.scp" "$trials" "$enrol_scp" "$test_dir/xvector.scp"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
adapt_opt=()
adapt_tag=
if [ -n "$adapt_domain" ] && [ "$domain_weight" != 1 ]; then
  [[ "$domain_weight" =~ ^[1-9][0-9]*$ ]] || { echo "$0: --domain-weight must be a positive integer, got '$domain_weight'" >&2; exit 1; }
  [ -f "$train_data/utt2domain" ] || { echo "$0: --adapt-domain needs $train_data/utt2domain" >&2; exit 1; }
  adapt_opt=(--utt2domain "$train_data/utt2domain" --adapt-domain "$adapt_domain" --domain-weight "$domain_weight")
  adapt_tag=_${adapt_domain}x$domain_weight
fi
missing_opt=()
$allow_missing && missing_opt=(--allow-missing)
logdir=$(dirname "$scores")/log
mkdir -p "$logdir" "$train_dir/log"
name=$(basename "$scores")

# The options are in the back-end's name, so a changed option trains a new one.
plda=$train_dir/plda_${plda_type}_lda${lda_dim}_ln${length_norm}_it${num_em_iters}_r${rank_f}$adapt_tag.npz
if [ -f "$plda" ] && [ "$plda" -nt "$train_dir/xvector.scp" ] && [ "$plda" -nt "$train_data/utt2spk" ] \
    && { [ -z "$adapt_tag" ] || [ "$plda" -nt "$train_data/utt2domain" ]; }; then
  log "back-end $plda is up to date"
else
  log "training $plda_type PLDA back-end on $train_dir"
  $cmd "$train_dir/log/train_plda.log" \
    python -m TrainAndTest.bin.train_plda --plda-type "$plda_type" --lda-dim "$lda_dim" \
      --length-norm "$length_norm" --num-em-iters "$num_em_iters" --rank-f "$rank_f" \
      "${adapt_opt[@]}" "$train_dir/xvector.scp" "$train_data/utt2spk" "$plda" \
    || { echo "$0: PLDA training failed; see $train_dir/log/train_plda.log" >&2; tail -n 5 "$train_dir/log/train_plda.log" >&2; exit 1; }
fi
log "PLDA scoring: $trials -> $scores"
$cmd "$logdir/score_plda.$name.log" \
  python -m TrainAndTest.bin.score_plda "${num_utts_opt[@]}" "${missing_opt[@]}" "$plda" "$trials" \
    "$enrol_scp" "$test_dir/xvector.scp" "$scores" \
  || { echo "$0: scoring failed; see $logdir/score_plda.$name.log" >&2; tail -n 5 "$logdir/score_plda.$name.log" >&2; exit 1; }
if $compute_metrics && [ "$(awk 'NR==1{print NF}' "$trials")" = 3 ]; then
  python -m TrainAndTest.bin.compute_metrics "${missing_opt[@]}" "$trials" "$scores"
fi
log "done in $(( $(date +%s) - start )) s"
