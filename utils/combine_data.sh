#!/usr/bin/env bash
# Kaldi's utils/combine_data.sh: the union of several data dirs. Utterance ids must be unique
# across sources; a table missing from some source is left out (with a note); sources without
# segments get whole-recording segments when others have them. <dest> is built in a temporary
# folder, validated and renamed into place.
set -euo pipefail

extra_files=""   # more per-utterance tables to combine (each must exist in every source)
# shellcheck disable=SC2034
skip_fix=false   # accepted for Kaldi compatibility: the result is always sorted and validated
help_message="Usage: $0 [options] <dest> <src1> <src2> ...
 e.g.: $0 data/train_all data/train data/train_aug
Options:
  --extra-files \"f1 f2\"  more per-utterance tables to combine (default none)
  --skip-fix <bool>      Kaldi compatibility; ignored (default false)"

echo "$0 $*" >&2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=parse_options.sh
. "$root/utils/parse_options.sh"

if [ $# -lt 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  combine --extra-files "$extra_files" "$@"
