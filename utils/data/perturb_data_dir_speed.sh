#!/usr/bin/env bash
# Kaldi's utils/data/perturb_data_dir_speed.sh: a copy of <src> whose audio plays <factor>
# times faster (sox 'speed': tempo and pitch together). Utterance, speaker and recording ids
# get the prefix sp<factor>-; wav.scp entries become pipes through
# 'python -m Process_Data.bin.speed_perturb <factor>'; utt2dur, reco2dur and segment times
# are divided by <factor>; feats.scp, vad.scp, cmvn.scp and utt2num_frames are dropped.
# <dest> is built in a temporary folder, validated and renamed into place.
set -euo pipefail

help_message="Usage: $0 <factor> <src> <dest>
 e.g.: $0 0.9 data/train data/train_sp0.9
The wav.scp pipes need 'python' with this repo importable: run after '. ./path.sh'."

echo "$0 $*" >&2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../parse_options.sh
. "$root/utils/parse_options.sh"

if [ $# -ne 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
start=$SECONDS
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  perturb-speed "$1" "$2" "$3"
echo "$0: done in $((SECONDS - start)) s" >&2
