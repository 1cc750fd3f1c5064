# shellcheck shell=bash
# Honest skipping for expensive steps (STYLE rule 10), sourced by steps/ scripts:
#   . utils/signature.sh
#   sig=$(signature --option "--min-frames $min_frames" --table "$data/feats.scp" "$data/utt2spk")
#   if up_to_date "$dir/.egs.done" "$sig" && scp_archives_exist "$dir/egs.1.scp"; then
#     log "up to date; skipping"; exit 0; fi
#   forget_stamp "$dir/.egs.done"      # before the work: a killed run never looks done
#   ... work, written under temporary names and renamed ...
#   write_stamp "$dir/.egs.done" "$(signature ...)"   # after the work, inputs signed again
# The signature is one checksum over file contents, the files a table names (size + mtime)
# and option words: see Process_Data/signature.py or `python -m Process_Data.bin.signature -h`.

# signature [--option TEXT] [--table SCP] [--stat PATH] [FILE-OR-DIR ...]: print the checksum
signature() { python -m Process_Data.bin.signature "$@"; }

# up_to_date STAMP SIGNATURE: true when STAMP exists and holds exactly SIGNATURE
up_to_date() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# forget_stamp STAMP: remove it (the outputs are about to change)
forget_stamp() { rm -f "$1"; }

# write_stamp STAMP SIGNATURE: store SIGNATURE atomically (temporary name, then rename)
write_stamp() {
  mkdir -p "$(dirname "$1")"
  echo "$2" > "$1.tmp.$$"
  mv "$1.tmp.$$" "$1"
}

# scp_archives_exist SCP...: true when every SCP exists and every archive it names exists
scp_archives_exist() {
  local scp f
  for scp in "$@"; do
    [ -s "$scp" ] || return 1
    while read -r f; do
      [ -f "$f" ] || return 1
    done < <(awk '{ sub(/(:[0-9]+)?(\[[0-9:, ]*\])?$/, "", $2); print $2 }' "$scp" | sort -u)
  done
}
