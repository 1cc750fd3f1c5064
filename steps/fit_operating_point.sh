#!/usr/bin/env bash
# Fit the experiment's operating point on calibration trials (held-out training speakers,
# never test speakers): logistic calibration llr = a * score + b and the threshold table
# (EER point, FAR 1 %, FAR 0.1 %) into <exp-dir>/calibration/{calibration.npz,thresholds.json},
# which bin/apply_calibration, verify and export read. The fit's actDCF(0.01), Cllr and
# min-Cllr on these trials go to <exp-dir>/calibration/fit.txt and the log.
# A rerun skips when the trials, the scores and the options are unchanged.
set -euo pipefail

scoring=cosine    # what the scores are (verify scores by cosine)
help_message="Usage: $0 [options] <calib-trials> <calib-scores> <exp-dir>
 e.g.: $0 data/voxceleb2_dev_calib/trials exp/ecapa/scores/cosine_trials_voxceleb2_dev_calib exp/ecapa
Options:
  --scoring <name>     the scoring the thresholds are for (default cosine)"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
trials=$1 scores=$2 expdir=$3

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"
for f in "$trials" "$scores"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
dir=$expdir/calibration
input_signature() { signature --option "scoring=$scoring" "$trials" "$scores"; }
stamp=$dir/.fit_operating_point.done
if up_to_date "$stamp" "$(input_signature)" && [ -f "$dir/calibration.npz" ] \
    && [ -f "$dir/thresholds.json" ] && [ -f "$dir/fit.txt" ]; then
  log "$dir is up to date (same calibration trials, scores and options); skipping: $(cat "$dir/fit.txt")"
  exit 0
fi
forget_stamp "$stamp"
mkdir -p "$dir/log"
python -m TrainAndTest.bin.fit_operating_point --scoring "$scoring" "$trials" "$scores" "$expdir" \
  > "$dir/.fit.txt.tmp" 2> "$dir/log/fit.log" \
  || { echo "$0: fitting failed; see $dir/log/fit.log" >&2; tail -n 5 "$dir/log/fit.log" >&2; exit 1; }
mv "$dir/.fit.txt.tmp" "$dir/fit.txt"
write_stamp "$stamp" "$(input_signature)"
log "operating point of $expdir from $trials: $(cat "$dir/fit.txt")"
