# Sourced by every recipe script: the project venv, utils/ and steps/ on PATH, C locale.
# shellcheck shell=bash
# shellcheck disable=SC2034
MAIN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -f "$MAIN_ROOT/.venv/bin/activate" ]; then
  # shellcheck disable=SC1091
  . "$MAIN_ROOT/.venv/bin/activate"
fi
export PATH="$MAIN_ROOT/utils:$MAIN_ROOT/utils/data:$MAIN_ROOT/steps:$PATH"
export PYTHONPATH="$MAIN_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export LC_ALL=C
export PYTHONUNBUFFERED=1
