#!/usr/bin/env bash
# Prepare one VoxCeleb2 split (<split>/aac/<spk>/<session>/<utt>.m4a) as a data dir whose
# wav.scp entries are ffmpeg pipes (no conversion pass over the m4a files).
set -euo pipefail

meta=              # vox2_meta.csv for spk2gender (optional)
sample_rate=16000  # output rate of the ffmpeg pipes
nj=8               # threads for the file checks
help_message="Usage: $0 [options] <split-dir> <data-dir>
 e.g.: $0 /corpora/voxceleb2/dev data/voxceleb2_dev
Options:
  --meta <file>            vox2_meta.csv for spk2gender
  --sample-rate <hz>       rate of the ffmpeg pipes (default 16000)
  --nj <n>                 threads for file checks (default 8)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
[ -f ./path.sh ] && . ./path.sh
start=$(date +%s)

args=(--sample-rate "$sample_rate" --num-threads "$nj")
[ -n "$meta" ] && args+=(--meta "$meta")
python -m Process_Data.bin.make_voxceleb2 "${args[@]}" "$1" "$2"

log "done in $(( $(date +%s) - start )) s"
