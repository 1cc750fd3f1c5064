#!/usr/bin/env bash
# Synthesise the built-in demo corpus (espeak-ng speakers, VoxCeleb1 layout, meta.csv,
# trials/test.txt) into <out-dir>; offline, deterministic for a seed. Rerunning with the same
# options does nothing; with other options the corpus is replaced (atomically).
set -euo pipefail

num_speakers=200      # speakers in all (dev + test)
utts_per_speaker=20    # utterances per speaker
num_test_speakers=40   # held-out speakers listed as "test" in meta.csv
num_target=3           # target trials per test utterance
num_nontarget=3        # non-target trials per test utterance
seed=0                 # random seed (same seed -> same bytes)
nj=2                   # worker processes
help_message="Usage: $0 [options] <out-dir>
 e.g.: $0 --num-speakers 200 --nj 4 data/demo_corpus
Options:
  --num-speakers <n>       speakers in all (default 200)
  --utts-per-speaker <n>   utterances per speaker (default 20)
  --num-test-speakers <n>  held-out speakers (default 40)
  --num-target <n>         target trials per test utterance (default 3)
  --num-nontarget <n>      non-target trials per test utterance (default 3)
  --seed <n>               random seed (default 0)
  --nj <n>                 worker processes (default 2)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 1 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
[ -f ./path.sh ] && . ./path.sh
start=$(date +%s)

out=$1
log "synthesising $num_speakers x $utts_per_speaker utterances into $out"
python -m Process_Data.bin.make_demo_corpus --num-speakers "$num_speakers" \
  --utts-per-speaker "$utts_per_speaker" --num-test-speakers "$num_test_speakers" \
  --num-target "$num_target" --num-nontarget "$num_nontarget" --seed "$seed" --nj "$nj" "$out"

log "done in $(( $(date +%s) - start )) s"
