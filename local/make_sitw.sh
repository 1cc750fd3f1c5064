#!/usr/bin/env bash
# Prepare Speakers in the Wild as <data>/sitw_{dev,eval}_{enroll,test}, with the core-core
# key as Kaldi trials in the test dirs.
set -euo pipefail

parts=dev,eval   # which parts, comma separated
nj=8             # threads for the audio checks
help_message="Usage: $0 [options] <sitw-root> <data>
 e.g.: $0 /corpora/sitw data
Options:
  --parts <list>           comma-separated parts (default dev,eval)
  --nj <n>                 threads for audio checks (default 8)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
[ -f ./path.sh ] && . ./path.sh
start=$(date +%s)

python -m Process_Data.bin.make_sitw --parts "$parts" --num-threads "$nj" "$1" "$2"

log "done in $(( $(date +%s) - start )) s"
