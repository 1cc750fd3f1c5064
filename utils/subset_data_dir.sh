#!/usr/bin/env bash
# Kaldi's utils/subset_data_dir.sh: copy a selection of the utterances of <src> to <dest>,
# every table filtered; <dest> is built in a temporary folder and renamed into place.
set -euo pipefail

seed=0   # random seed for the default random selection and --speakers
help_message="Usage: $0 [options] <src> <num-utt> <dest>     (random <num-utt>, seeded)
       $0 --first|--last|--shortest|--per-spk|--speakers <src> <num> <dest>
       $0 --utt-list <file> <src> <dest>
       $0 --spk-list <file> <src> <dest>
 e.g.: $0 --shortest data/train 1000 data/train_short1k
       $0 --spk-list spk.txt data/train data/train_sub
Options:
  --first / --last   the first / last <num> utterances in sorted order
  --shortest         the <num> shortest (utt2num_frames, else utt2dur)
  --per-spk          the first <num> utterances of every speaker
  --speakers         whole speakers (seeded random order) up to <num> utterances
  --utt-list <file>  utterances named in the first field of <file>
  --spk-list <file>  all utterances of the speakers named in <file>
  --seed <int>       random seed (default 0)
The numbered flags also accept the number right after them (--first 10 <src> <dest>)."

echo "$0 $*" >&2
mode=random
num=
list=
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --first|--last|--shortest|--per-spk|--speakers)
      mode=${1#--}
      if [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]]; then num=$2; shift; fi ;;
    --utt-list|--spk-list)
      [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 1; }
      mode=${1#--}; list=$2; shift ;;
    --seed)
      [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || { echo "$0: --seed needs an integer" >&2; exit 1; }
      seed=$2; shift ;;
    --help|-h) printf '%s\n' "$help_message" >&2; exit 0 ;;
    --*) echo "$0: invalid option $1" >&2; printf '%s\n' "$help_message" >&2; exit 1 ;;
    *) args+=("$1") ;;
  esac
  shift
done
case "$mode" in
  utt-list|spk-list) want=2 ;;
  *) if [ -n "$num" ]; then want=2; else want=3; fi ;;
esac
if [ ${#args[@]} -ne "$want" ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
src=${args[0]}
dest=${args[$((want - 1))]}
if [ "$want" -eq 3 ]; then num=${args[1]}; fi
case "$mode" in
  utt-list|spk-list) sel=(--"$mode" "$list") ;;
  *)
    if ! [[ "$num" =~ ^[0-9]+$ ]]; then
      echo "$0: <num-utt> must be a whole number, got '$num'" >&2; exit 1
    fi
    sel=(--"$mode" "$num") ;;
esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  subset "${sel[@]}" --seed "$seed" "$src" "$dest"
