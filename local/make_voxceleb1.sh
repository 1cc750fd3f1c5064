#!/usr/bin/env bash
# Prepare a corpus in VoxCeleb1 layout (wav/<spk>/<session>/<utt>.<ext>, any format
# and rate) as <data>/<prefix>_dev and <data>/<prefix>_test, split by the meta file's set
# column or a test-speaker list; official and per-corpus trial lists become Kaldi trials.
set -euo pipefail

prefix=voxceleb1   # data dirs <data>/<prefix>_{dev,test}
meta=              # speaker meta file (default: <root>/meta.csv or <root>/vox1_meta.csv)
test_speakers=     # file with one test speaker per line (overrides the meta split)
trials_lists=      # extra trial lists (space separated), written as trials_<name>
durations=true     # write utt2dur (reads headers only)
nj=8               # threads for the audio checks
help_message="Usage: $0 [options] <corpus-root> <data>
 e.g.: $0 ../shared/data/minivox data
Options:
  --prefix <name>          data dir prefix (default voxceleb1)
  --meta <file>            speaker meta file (default <root>/meta.csv)
  --test-speakers <file>   test speakers, one a line (overrides the meta split)
  --trials-lists <files>   extra trial lists (space separated), VoxCeleb or Kaldi format
  --durations true|false   write utt2dur (default true)
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

root=$1
data=$2
args=(--prefix "$prefix" --num-threads "$nj")
[ -n "$meta" ] && args+=(--meta "$meta")
[ -n "$test_speakers" ] && args+=(--test-speakers "$test_speakers")
for l in $trials_lists; do args+=(--trials-list "$l"); done
[ "$durations" = false ] && args+=(--no-durations)
python -m Process_Data.bin.make_voxceleb1 "${args[@]}" "$root" "$data"

log "done in $(( $(date +%s) - start )) s"
