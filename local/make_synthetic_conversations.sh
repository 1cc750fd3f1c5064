#!/usr/bin/env bash
# Synthetic conversations from the test speakers of a VoxCeleb-layout corpus with a
# meta.csv (minivox): 2-5 speakers, gamma turn lengths, exponential pauses, optional
# overlap, exact reference RTTMs; the same --seed gives the same audio. The model in
# TrainAndTest/diarization/conversations.py.
set -euo pipefail

num=20              # conversations
seed=0              # random seed
duration=60         # seconds of talk per conversation (the last turn may run over)
min_speakers=2      # speakers per conversation, drawn uniformly in [min, max]
max_speakers=5
turn_mean=3.0       # mean turn length, seconds (gamma, shape 2)
pause_mean=0.4      # mean pause between turns, seconds (exponential)
overlap_prob=0.0    # probability that a turn starts before the previous one ends
help_message="Usage: $0 [options] <corpus-root> <audio-dir> <data-dir>
 e.g.: $0 --num 20 --seed 1 ../shared/data/minivox data/conv_minivox/wav data/conv_minivox
Options:
  --num <n>                 conversations (default 20)
  --seed <n>                random seed (default 0)
  --duration <s>            talk per conversation (default 60)
  --min-speakers <n>        (default 2)
  --max-speakers <n>        (default 5)
  --turn-mean <s>           mean turn length (default 3.0)
  --pause-mean <s>          mean pause (default 0.4)
  --overlap-prob <p>        share of turns overlapping the previous one (default 0)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
[ -f ./path.sh ] && . ./path.sh
start=$(date +%s)
python -m TrainAndTest.bin.make_diarization_data conversations --num "$num" --seed "$seed" \
  --duration "$duration" --min-speakers "$min_speakers" --max-speakers "$max_speakers" \
  --turn-mean "$turn_mean" --pause-mean "$pause_mean" --overlap-prob "$overlap_prob" \
  "$1" "$2" "$3"
log "done in $(( $(date +%s) - start )) s"
