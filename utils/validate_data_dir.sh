#!/usr/bin/env bash
# Kaldi's utils/validate_data_dir.sh: tables sorted (LC_ALL=C) with unique keys, utt2spk and
# spk2utt agree, speaker ids prefix their utterance ids, every per-utterance table covers
# exactly the utterances of utt2spk, segments point into wav.scp, audio files exist.
set -euo pipefail

no_feats=false   # do not require feats.scp
no_wav=false     # do not require wav.scp
no_text=false    # accepted for Kaldi compatibility: text is only checked when present
help_message="Usage: $0 [--no-feats] [--no-wav] [--no-text] <data>
 e.g.: $0 --no-feats data/train
Prints 'Successfully validated data-directory <data>', or the first problem naming file and
line and exits 1.
Options (flags, as in Kaldi):
  --no-feats   feats.scp is not required
  --no-wav     wav.scp is not required
  --no-text    text is not required (it never is here: speaker data has no transcripts)"

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-feats) no_feats=true ;;
    --no-wav) no_wav=true ;;
    --no-text) no_text=true ;;
    --help|-h) printf '%s\n' "$help_message" >&2; exit 0 ;;
    --*) echo "$0: invalid option $1" >&2; printf '%s\n' "$help_message" >&2; exit 1 ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ ${#args[@]} -ne 1 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
opts=()
$no_feats && opts+=(--no-feats)
$no_wav && opts+=(--no-wav)
$no_text && opts+=(--no-text)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=python3
[ -x "$root/.venv/bin/python" ] && python=$root/.venv/bin/python
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m Process_Data.bin.data_dir_tool \
  validate "${opts[@]}" "${args[0]}"
