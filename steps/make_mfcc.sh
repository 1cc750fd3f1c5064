#!/usr/bin/env bash
# MFCC (Kaldi compute-mfcc-feats) for a data dir, as a job array through $cmd:
#   steps/make_mfcc.sh [--nj N] [--cmd run.pl] [--mfcc-config conf/x.conf] [--compress true]
#     [--write-utt2num-frames true] <data-dir> [<log-dir> [<mfcc-dir>]]
# The work is done by steps/make_fbank.sh (one implementation for every feature type).
set -euo pipefail
exec "$(dirname "$0")/make_fbank.sh" --feature-type mfcc "$@"
