#!/usr/bin/env bash
# Creates (once) the project-local virtualenv .venv and installs the recipe into it.
# Idempotent: a rerun with nothing changed returns in well under a second.
#
# Usage: utils/setup_venv.sh [--with-test] [--with-bench]
#   TORCH_SPEC  pip requirement for torch (default torch==2.13.0; a CPU wheel on
#               machines that have it on local disk, the normal CUDA build from PyPI
#               elsewhere). Example: TORCH_SPEC='torch==2.5.1' utils/setup_venv.sh
#   PYTHON      interpreter used to create the venv (default python3)
set -euo pipefail

extras=""
for arg in "$@"; do
  case "$arg" in
    --with-test) extras="${extras:+$extras,}test" ;;
    --with-bench) extras="${extras:+$extras,}bench" ;;
    *) echo "$0: unknown option '$arg' (valid: --with-test --with-bench)" >&2; exit 1 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
torch_spec=${TORCH_SPEC:-torch==2.13.0}
python=${PYTHON:-python3}

# The stamp records what was installed; when it matches, there is nothing to do.
stamp_want="torch=$torch_spec extras=$extras pyproject=$(cksum < "$root/pyproject.toml")"
stamp="$venv/.installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_want" ]; then
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "$0: creating $venv" >&2
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  echo "$0: installing $torch_spec" >&2
  "${pip[@]}" install "$torch_spec"
fi
echo "$0: installing the recipe${extras:+ with [$extras]}" >&2
"${pip[@]}" install -e "$root${extras:+[$extras]}"
echo "$stamp_want" > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
