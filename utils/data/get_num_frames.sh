#!/usr/bin/env bash
# Kaldi's utils/data/get_num_frames.sh (and get_utt2num_frames.sh): write
# <data>/utt2num_frames and print the total number of frames on stdout. From feats.scp when
# present (matrix headers only), else from utt2dur (made first if missing) as Kaldi's
# feature extraction counts them: 1 + (samples - window) / shift (--snip-edges=true).
set -euo pipefail

frame_shift=""       # seconds; default <data>/frame_shift when present, else 0.01
frame_length=0.025   # seconds (window of the feature extraction)
nj=4                 # parallel audio readers if utt2dur must be made
help_message="Usage: $0 [options] <data>
 e.g.: $0 data/train
Options:
  --frame-shift <s>    (default <data>/frame_shift or 0.01)
  --frame-length <s>   (default 0.025)
  --nj <n>             (default 4)"

echo "$0 $*" >&2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../parse_options.sh
. "$root/utils/parse_options.sh"

if [ $# -ne 1 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
opts=(--frame-length "$frame_length" --nj "$nj")
[ -n "$frame_shift" ] && opts+=(--frame-shift "$frame_shift")
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  num-frames "${opts[@]}" "$1"
