#!/usr/bin/env bash
# Kaldi's utils/data/get_reco2dur.sh: write <data>/reco2dur (seconds per wav.scp recording;
# soundfile header for plain paths, decoding for pipes and m4a/aac). Skips the work when
# reco2dur already covers every recording and is newer than wav.scp.
set -euo pipefail

nj=4   # audio files read in parallel (threads)
help_message="Usage: $0 [options] <data>
 e.g.: $0 data/train
Options:
  --nj <n>   parallel readers (default 4)"

echo "$0 $*" >&2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../parse_options.sh
. "$root/utils/parse_options.sh"

if [ $# -ne 1 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
data=$1
if [ -s "$data/reco2dur" ] && [ -f "$data/wav.scp" ] && [ "$data/reco2dur" -nt "$data/wav.scp" ] \
    && [ "$(wc -l < "$data/reco2dur")" -eq "$(wc -l < "$data/wav.scp")" ]; then
  echo "$0: $data/reco2dur is up to date; skipping" >&2
  exit 0
fi
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  reco2dur --nj "$nj" "$data"
