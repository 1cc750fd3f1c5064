#!/usr/bin/env bash
# Kaldi's utils/copy_data_dir.sh: copy a data dir, optionally renaming utterances
# (<utt-prefix><utt><utt-suffix>) and speakers (<spk-prefix><spk><spk-suffix>) in every table.
# Options under which a speaker id would stop being a prefix of its utterance ids are refused
# before anything is written. <dest> is built in a temporary folder and renamed into place.
set -euo pipefail

utt_prefix=""   # prepended to every utterance id
spk_prefix=""   # prepended to every speaker id
utt_suffix=""   # appended to every utterance id
spk_suffix=""   # appended to every speaker id
help_message="Usage: $0 [options] <src> <dest>
 e.g.: $0 --utt-prefix sp0.9- --spk-prefix sp0.9- data/train data/train_sp0.9
Options:
  --utt-prefix <p>   (default '')
  --spk-prefix <p>   (default '')
  --utt-suffix <s>   (default '')
  --spk-suffix <s>   (default '')"

echo "$0 $*" >&2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=parse_options.sh
. "$root/utils/parse_options.sh"

if [ $# -ne 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool copy \
  --utt-prefix="$utt_prefix" --spk-prefix="$spk_prefix" \
  --utt-suffix="$utt_suffix" --spk-suffix="$spk_suffix" "$1" "$2"
