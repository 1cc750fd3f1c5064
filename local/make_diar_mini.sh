#!/usr/bin/env bash
# diar_mini (15 real clips with reference RTTMs) as diarization data dirs with a fixed
# split: <out>_dev (threshold tuning) and <out>_test (reporting); which clip is in which
# part, and why, is in TrainAndTest/diarization/data_prep.py (DIAR_MINI_SPLIT) and README.md.
# Each data dir: wav.scp utt2spk spk2utt reco2dur reco2num_spk rttm.
set -euo pipefail

parts="dev test"   # parts to write (dev, test, all)
help_message="Usage: $0 [options] <diar_mini-root> <out-prefix>
 e.g.: $0 ../shared/data/diar_mini data/diar_mini   # -> data/diar_mini_dev, data/diar_mini_test
Options:
  --parts \"dev test all\"   parts to write (default \"dev test\")"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

[ $# -eq 2 ] || { printf '%s\n' "$help_message" >&2; exit 1; }
[ -f ./path.sh ] && . ./path.sh
[ -d "$1" ] || { echo "$0: no such folder $1" >&2; exit 1; }
for part in $parts; do
  python -m TrainAndTest.bin.make_diarization_data rttm-folder --diar-mini-part "$part" \
    "$1" "${2}_$part"
done
log "wrote ${2}_{${parts// /,}}"
