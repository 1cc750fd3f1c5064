#!/usr/bin/env bash
# Prepare RIRS_NOISES rir_list files (real and simulated rooms) as data dirs of impulse
# responses: <data>/<prefix>_<set> with utt2spk mapping each response to its room.
set -euo pipefail

prefix=rirs              # data dir name prefix
sets=real,simulated      # which sets, comma separated
nj=8                     # threads for the audio checks
help_message="Usage: $0 [options] <rirs-root> <data>
 e.g.: $0 ../shared/data/RIRS_NOISES_mini data
Options:
  --prefix <name>          data dir prefix (default rirs)
  --sets <list>            comma-separated sets: real, simulated (default both)
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

python -m Process_Data.bin.make_rirs --prefix "$prefix" --sets "$sets" --num-threads "$nj" "$1" "$2"

log "done in $(( $(date +%s) - start )) s"
