#!/usr/bin/env bash
# Kaldi's utils/split_data.sh: split a data dir into <data>/split<nj>/{1..nj} (per speaker,
# balanced by utterance count) or <data>/split<nj>utt/{1..nj} (--per-utt). Each split is a
# valid data dir with every table filtered. Skips the work when the split is newer than every
# table of <data>; the split is built in a temporary folder and renamed into place.
set -euo pipefail

per_utt=false   # split per utterance (speakers may span splits); flag, as in Kaldi
help_message="Usage: $0 [--per-utt] <data> <num-to-split>
 e.g.: $0 data/train 8        # -> data/train/split8/{1..8}
       $0 --per-utt data/test 8   # -> data/test/split8utt/{1..8}
More splits than speakers (utterances with --per-utt) is an error."

echo "$0 $*" >&2
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --per-utt) per_utt=true ;;
    --help|-h) printf '%s\n' "$help_message" >&2; exit 0 ;;
    --*) echo "$0: invalid option $1" >&2; printf '%s\n' "$help_message" >&2; exit 1 ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ ${#args[@]} -ne 2 ] || ! [[ "${args[1]}" =~ ^[1-9][0-9]*$ ]]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
opts=()
$per_utt && opts+=(--per-utt)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  split "${opts[@]}" "${args[0]}" "${args[1]}"
