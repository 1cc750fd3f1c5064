# shellcheck shell=bash
# Kaldi-style option parsing, sourced by scripts after their defaults are set:
#   nj=4; use_gpu=false; . utils/parse_options.sh
# Consumes leading `--name value` pairs (also `--name=value`); the hyphens of `name` map to
# underscores, and the variable must already be defined by the script (an unknown option is
# an error). A variable whose default is true/false only accepts true/false.
# `--config file` is read first (shell assignments, `name=value` lines), so the command line
# wins over it. `--help`/`-h` prints $help_message and exits 0.
# shellcheck disable=SC2154

# Pass 1: --config files, so that command-line options override them.
__po_args=("$@")
for ((__po_i = 0; __po_i < ${#__po_args[@]}; __po_i++)); do
  __po_a=${__po_args[$__po_i]}
  case "$__po_a" in
    --config) __po_cfg=${__po_args[$((__po_i + 1))]:-}
      if [ -z "$__po_cfg" ] || [ ! -r "$__po_cfg" ]; then
        echo "$0: --config: cannot read config file '$__po_cfg'" >&2; exit 1
      fi
      # shellcheck disable=SC1090
      . "$__po_cfg" || { echo "$0: error in config file $__po_cfg" >&2; exit 1; }
      __po_i=$((__po_i + 1)) ;;
    --config=*) __po_cfg=${__po_a#--config=}
      [ -r "$__po_cfg" ] || { echo "$0: --config: cannot read config file '$__po_cfg'" >&2; exit 1; }
      # shellcheck disable=SC1090
      . "$__po_cfg" || { echo "$0: error in config file $__po_cfg" >&2; exit 1; } ;;
    --) break ;;
    --*) __po_i=$((__po_i + 1)) ;;
    *) break ;;
  esac
done
unset __po_args __po_i __po_a __po_cfg

# Pass 2: the options themselves.
while true; do
  [ $# -eq 0 ] && break
  case "$1" in
    --help|-h)
      if [ -z "${help_message:-}" ]; then echo "$0: no help found" >&2; else printf '%s\n' "$help_message" >&2; fi
      exit 0 ;;
    --) shift; break ;;
    --config) shift 2 ;;
    --config=*) shift ;;
    --*=*)
      __po_name=${1%%=*}; __po_name=${__po_name#--}; __po_name=${__po_name//-/_}
      __po_val=${1#*=}; shift; set -- "--${__po_name}" "$__po_val" "$@"
      unset __po_name __po_val ;;
    --*)
      __po_name=${1#--}; __po_name=${__po_name//-/_}
      if ! [[ "$__po_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ -z "${!__po_name+set}" ]; then
        echo "$0: invalid option $1" >&2
        [ -n "${help_message:-}" ] && printf '%s\n' "$help_message" >&2
        exit 1
      fi
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; exit 1; fi
      __po_old=${!__po_name}
      if { [ "$__po_old" = true ] || [ "$__po_old" = false ]; } \
          && [ "$2" != true ] && [ "$2" != false ]; then
        echo "$0: expected true or false for $1, got '$2'" >&2; exit 1
      fi
      printf -v "$__po_name" '%s' "$2"
      shift 2
      unset __po_name __po_old ;;
    *) break ;;
  esac
done
true
