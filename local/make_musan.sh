#!/usr/bin/env bash
# Prepare MUSAN as <data>/<prefix>_music (vocals left out by ANNOTATIONS), <prefix>_noise
# and <prefix>_speech, each with utt2dur.
set -euo pipefail

prefix=musan       # data dir name prefix
use_vocals=false   # keep music with vocals
nj=8               # threads for the audio checks
help_message="Usage: $0 [options] <musan-root> <data>
 e.g.: $0 ../shared/data/musan_mini data
Options:
  --prefix <name>          data dir prefix (default musan)
  --use-vocals true|false  keep music with vocals (default false)
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

args=(--prefix "$prefix" --num-threads "$nj")
[ "$use_vocals" = true ] && args+=(--use-vocals)
python -m Process_Data.bin.make_musan "${args[@]}" "$1" "$2"

log "done in $(( $(date +%s) - start )) s"
