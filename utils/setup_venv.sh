#!/usr/bin/env bash
# Creates (once) the project-local virtualenv .venv and installs the recipe into it.
# Idempotent: a rerun with nothing changed returns in well under a second.
#
# Usage: utils/setup_venv.sh [--with-test] [--with-bench] [--with-export] [--with-analysis]
#                            [--with-diar]
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
    --with-export) extras="${extras:+$extras,}export" ;;
    --with-analysis) extras="${extras:+$extras,}analysis" ;;
    --with-diar) extras="${extras:+$extras,}diar" ;;
    *) echo "$0: unknown option '$arg' (valid: --with-test --with-bench --with-export" \
      "--with-analysis --with-diar)" >&2; exit 1 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
torch_spec=${TORCH_SPEC:-torch==2.13.0}
python=${PYTHON:-python3}

# The stamp records what was installed (line 1: torch spec and pyproject checksum, line 2:
# extras). Nothing to do when line 1 matches and every requested extra is installed.
base_want="torch=$torch_spec pyproject=$(cksum < "$root/pyproject.toml")"
stamp="$venv/.installed"
if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$base_want" ]; then
  have=",$(sed -n 2p "$stamp"),"
  missing=false
  for e in ${extras//,/ }; do
    case "$have" in *",$e,"*) ;; *) missing=true ;; esac
  done
  $missing || exit 0
  # keep what is installed: the union of old and new extras
  for e in $(sed -n 2p "$stamp" | tr ',' ' '); do
    case ",$extras," in *",$e,"*) ;; *) extras="${extras:+$extras,}$e" ;; esac
  done
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
printf '%s\n%s\n' "$base_want" "$extras" > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
