# shellcheck shell=bash
# The recipe's one log helper, sourced by run.sh, steps/ and local/ scripts:
#   . utils/log.sh; log "Stage 1: features"
# prints "2026-01-31 12:00:00 (run.sh:42) Stage 1: features" to stderr (stdout stays data).
log() { echo "$(date '+%F %T') (${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}) $*" >&2; }
