#!/usr/bin/env bash
# Prepare CN-Celeb1/2 (<root>/data/<spk>/<genre>-<session>-<utt>.flac, eval/ lists) as
# <data>/<prefix>_train, <data>/<prefix>_eval_enroll and <data>/<prefix>_eval_test (+ trials).
set -euo pipefail

prefix=cnceleb   # data dir name prefix
nj=8             # threads for the audio checks
help_message="Usage: $0 [options] <cnceleb-root> [<cnceleb2-root> ...] <data>
 e.g.: $0 /corpora/CN-Celeb /corpora/CN-Celeb2 data
Options:
  --prefix <name>          data dir prefix (default cnceleb)
  --nj <n>                 threads for audio checks (default 8)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -lt 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
[ -f ./path.sh ] && . ./path.sh
start=$(date +%s)

python -m Process_Data.bin.make_cnceleb --prefix "$prefix" --num-threads "$nj" "$@"

log "done in $(( $(date +%s) - start )) s"
