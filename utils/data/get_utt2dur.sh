#!/usr/bin/env bash
# Kaldi's utils/data/get_utt2dur.sh: write <data>/utt2dur (seconds per utterance) from
# segments (end - start), else wav.scp (soundfile header for plain paths, decoding for pipes
# and m4a/aac), else feats.scp (frames x frame shift). Skips the work when utt2dur already
# covers every utterance and is newer than wav.scp, segments and feats.scp.
set -euo pipefail

nj=4   # audio files read in parallel (threads)
help_message="Usage: $0 [options] <data>
 e.g.: $0 --nj 8 data/train
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
if [ -s "$data/utt2dur" ] && [ -f "$data/utt2spk" ] \
    && [ "$(wc -l < "$data/utt2dur")" -eq "$(wc -l < "$data/utt2spk")" ]; then
  current=true
  for f in wav.scp segments feats.scp utt2spk; do
    if [ -f "$data/$f" ] && [ "$data/$f" -nt "$data/utt2dur" ]; then current=false; fi
  done
  if $current; then
    echo "$0: $data/utt2dur is up to date; skipping" >&2
    exit 0
  fi
fi
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  utt2dur --nj "$nj" "$data"
