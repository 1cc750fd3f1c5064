#!/usr/bin/env bash
# PLP (Kaldi compute-plp-feats) for a data dir, as a job array through $cmd:
#   steps/make_plp.sh [--nj N] [--cmd run.pl] [--plp-config conf/x.conf] [--compress true]
#     [--write-utt2num-frames true] <data-dir> [<log-dir> [<plp-dir>]]
# The work is done by steps/make_fbank.sh (one implementation for every feature type).
set -euo pipefail
exec "$(dirname "$0")/make_fbank.sh" --feature-type plp "$@"
