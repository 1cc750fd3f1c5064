#!/usr/bin/env bash
# Hold out a seeded fraction of the training speakers (per domain of utt2domain, if any) for
# score calibration: <calib-data> gets their utterances and a trials list (same-domain
# non-targets), <rest-data> the other speakers, on which the back-end statistics (PLDA,
# AS-norm cohort, domain means) are computed. Test speakers are never involved.
# A rerun skips when the training data dir's tables and the options are unchanged.
set -euo pipefail

fraction=0.1       # share of each domain's speakers held out (at least 2 per domain)
seed=0             # random seed of the speaker choice and of the trials
num_target=5       # target trials per enrolment utterance
num_nontarget=5    # non-target trials per enrolment utterance
enrol_per_speaker=10  # enrolment utterances per held-out speaker (0: all), so speakers weigh alike
help_message="Usage: $0 [options] <train-data> <calib-data> <rest-data>
 e.g.: $0 --fraction 0.1 data/voxceleb2_dev data/voxceleb2_dev_calib data/voxceleb2_dev_backend
Options:
  --fraction <f>           held-out share of the speakers of each domain (default 0.1)
  --seed <n>               random seed (default 0)
  --num-target <n>         target trials per enrolment utterance (default 5)
  --num-nontarget <n>      non-target trials per enrolment utterance (default 5)
  --enrol-per-speaker <n>  enrolment utterances per held-out speaker, 0 = all (default 10)"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
train=$1
calib=$2
rest=$3

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"
start=$(date +%s)
[ -f "$train/utt2spk" ] || { echo "$0: no such file $train/utt2spk" >&2; exit 1; }
opts=(--fraction "$fraction" --seed "$seed" --num-target "$num_target" --num-nontarget "$num_nontarget"
      --enrol-per-speaker "$enrol_per_speaker")
input_signature() {  # the tables a subset copies (by content) and the options
  local t files=()
  for t in wav.scp utt2spk spk2utt utt2domain utt2dur utt2num_frames spk2gender feats.scp \
      vad.scp frame_shift conf; do
    files+=("$train/$t")
  done
  signature --option "${opts[*]}" "${files[@]}"
}
stamp=$calib/.calibration_split.done
if up_to_date "$stamp" "$(input_signature)" && [ -s "$calib/trials" ] && [ -s "$rest/utt2spk" ]; then
  log "$calib and $rest are up to date (same training data and options); skipping"
  exit 0
fi
forget_stamp "$stamp"
python -m Process_Data.bin.make_calibration_split "${opts[@]}" "$train" "$calib" "$rest"
write_stamp "$stamp" "$(input_signature)"
log "done in $(( $(date +%s) - start )) s"
