#!/usr/bin/env bash
# Kaldi's utils/fix_data_dir.sh: sort every table, keep only the utterances present in every
# per-utterance table (and whose speaker id is a prefix of the utterance id), drop speakers
# and recordings left without utterances, rebuild spk2utt. The old tables go to <data>/.backup.
set -euo pipefail

help_message="Usage: $0 <data>
 e.g.: $0 data/train
Prints 'fix_data_dir.sh: kept X utterances out of Y'; a table that does not parse is an
error naming file and line, and then nothing is changed."

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=parse_options.sh
. "$root/utils/parse_options.sh"

if [ $# -ne 1 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool fix "$1"
