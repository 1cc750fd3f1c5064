#!/usr/bin/env bash
# Draw Vox1-O style trials from a data dir: for every utterance N targets and N non-targets
# (optionally same-gender, from spk2gender), seeded; Kaldi format (enrol test target|nontarget).
set -euo pipefail

num_target=5       # target trials per utterance
num_nontarget=5    # non-target trials per utterance
same_gender=false  # non-targets of the same gender only (needs spk2gender)
seed=0             # random seed
help_message="Usage: $0 [options] <data-dir> [<trials-out>]
 e.g.: $0 --num-target 3 data/voxceleb1_test data/voxceleb1_test/trials_random
Options:
  --num-target <n>         targets per utterance (default 5)
  --num-nontarget <n>      non-targets per utterance (default 5)
  --same-gender true|false same-gender non-targets (default false)
  --seed <n>               random seed (default 0)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
[ -f ./path.sh ] && . ./path.sh
start=$(date +%s)

data=$1
out=${2:-$data/trials}
[ -f "$data/utt2spk" ] || { echo "$0: no $data/utt2spk" >&2; exit 1; }
args=(--num-target "$num_target" --num-nontarget "$num_nontarget" --seed "$seed")
[ "$same_gender" = true ] && args+=(--same-gender)
python -m Process_Data.bin.make_trials "${args[@]}" "$data" "$out"

log "done in $(( $(date +%s) - start )) s"
