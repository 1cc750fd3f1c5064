#!/usr/bin/env bash
# Log power spectrogram (Kaldi compute-spectrogram-feats) for a data dir, as a job array through $cmd:
#   steps/make_spect.sh [--nj N] [--cmd run.pl] [--spect-config conf/x.conf] [--compress true]
#     [--write-utt2num-frames true] <data-dir> [<log-dir> [<spect-dir>]]
# The work is done by steps/make_fbank.sh (one implementation for every feature type).
set -euo pipefail
exec "$(dirname "$0")/make_fbank.sh" --feature-type spectrogram "$@"
