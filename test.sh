#!/usr/bin/env bash
# The whole test suite: lint (ruff, shellcheck) and pytest. Installs what it needs into
# .venv on first use (see utils/setup_venv.sh; TORCH_SPEC overrides the torch wheel).
# Usage: ./test.sh [pytest args...]     e.g. ./test.sh tests/Process_Data -k scp
set -euo pipefail
cd "$(dirname "$0")"
utils/setup_venv.sh --with-test --with-bench --with-export --with-analysis --with-diar
# shellcheck disable=SC1091
. ./path.sh

echo "== ruff" >&2
ruff check .
echo "== shellcheck" >&2
git ls-files -co --exclude-standard -- '*.sh' '*.bash' | grep -v '^\.venv/' \
  | xargs -r shellcheck -x -P SCRIPTDIR
# Two xdist workers on a 2-core machine: one BLAS/OpenMP thread each (multi-threaded BLAS
# under contention made a 512x512 eigendecomposition 20x slower).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} \
  MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
echo "== pytest" >&2
python -m pytest -n "${TEST_JOBS:-2}" "$@"
