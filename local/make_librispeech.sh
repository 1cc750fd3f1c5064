#!/usr/bin/env bash
# Prepare one LibriSpeech subset (<subset>/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac) as a
# data dir, with spk2gender from SPEAKERS.TXT when found.
set -euo pipefail

speakers_txt=   # SPEAKERS.TXT (default: next to the subset folder)
nj=8            # threads for the audio checks
help_message="Usage: $0 [options] <subset-dir> <data-dir>
 e.g.: $0 /corpora/LibriSpeech/dev-clean data/librispeech_dev_clean
Options:
  --speakers-txt <file>    SPEAKERS.TXT (default: found next to the subset)
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

args=(--num-threads "$nj")
[ -n "$speakers_txt" ] && args+=(--speakers-txt "$speakers_txt")
python -m Process_Data.bin.make_librispeech "${args[@]}" "$1" "$2"

log "done in $(( $(date +%s) - start )) s"
