#!/usr/bin/env bash
# One back-end set from two: a data dir's embeddings and those of a copy of it through another
# channel, which has the same utterance ids (Process_Data.bin.channel_data_dir). The copy's ids
# get a prefix, its speakers stay the same, so a PLDA trained on the result sees each
# speaker through both channels (a multi-condition back-end, issue 18).
# Writes <out-data>/{utt2spk,spk2utt[,utt2domain]} and <out-xvector-dir>/xvector.scp; a file
# whose content is unchanged (and, for xvector.scp, whose inputs are not newer: re-extracted
# embeddings keep their scp lines) is left as it is, so back-ends trained on it stay up to
# date and only those.
set -euo pipefail

prefix=tel-
help_message="Usage: $0 [options] <data> <xvector-dir> <copy-data> <copy-xvector-dir> <out-data> <out-xvector-dir>
 e.g.: $0 data/train exp/ecapa/xvectors_train data/train_tel exp/ecapa/xvectors_train_tel \\
         data/train_mc exp/ecapa/xvectors_train_mc
Options:
  --prefix <p>   put before the copy's utterance ids (default tel-)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. utils/parse_options.sh
[ $# -eq 6 ] || { printf '%s\n' "$help_message" >&2; exit 1; }
data=$1 xv=$2 copy=$3 copy_xv=$4 out=$5 out_xv=$6

die() { echo "$0: $*" >&2; exit 1; }
[[ "$prefix" =~ ^[A-Za-z0-9_.-]+$ ]] || die "--prefix must be letters, digits or _.- (no spaces), got '$prefix'"
for f in "$data/utt2spk" "$xv/xvector.scp" "$copy/utt2spk" "$copy_xv/xvector.scp"; do
  [ -s "$f" ] || die "no such file (or empty): $f"
done
# every utterance needs its embedding, and prefixed ids must not meet the originals
for pair in "$data:$xv" "$copy:$copy_xv"; do
  d=${pair%%:*} x=${pair#*:}
  missing=$(awk 'NR == FNR { have[$1] = 1; next } !($1 in have) { print $1; exit }' "$x/xvector.scp" "$d/utt2spk")
  [ -z "$missing" ] || die "$d/utt2spk: utterance $missing has no embedding in $x/xvector.scp"
done
clash=$(awk -v p="$prefix" 'NR == FNR { have[$1] = 1; next } ((p $1) in have) { print p $1; exit }' \
  "$data/utt2spk" "$copy/utt2spk")
[ -z "$clash" ] || die "$data/utt2spk already has $clash; give another --prefix"

mkdir -p "$out" "$out_xv"
tmp=$(mktemp -d "$out/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
both() {  # both() <file in data dirs or xvector dirs> <dir a> <dir b>: a's lines, then b's prefixed
  { cat "$2/$1"; sed "s/^/$prefix/" "$3/$1"; } | LC_ALL=C sort -k1,1
}
both utt2spk "$data" "$copy" > "$tmp/utt2spk"
utils/utt2spk_to_spk2utt.pl "$tmp/utt2spk" > "$tmp/spk2utt"
files=(utt2spk spk2utt)
if [ -f "$data/utt2domain" ] && [ -f "$copy/utt2domain" ]; then
  both utt2domain "$data" "$copy" > "$tmp/utt2domain"
  files+=(utt2domain)
else
  rm -f "$out/utt2domain"
fi
# only the utterances of the data dirs (an xvector dir may hold more)
awk 'NR == FNR { keep[$1] = 1; next } $1 in keep' "$tmp/utt2spk" \
  <(both xvector.scp "$xv" "$copy_xv") > "$tmp/xvector.scp"
publish() {  # publish <file> <dir> [<input>...]: replace <dir>/<file> when its content
  # changed or an input is newer (re-extracted embeddings can keep their scp lines)
  local f=$1 dir=$2 newer=false i
  shift 2
  for i in "$@"; do [ "$i" -nt "$dir/$f" ] && newer=true; done
  if $newer || ! cmp -s "$tmp/$f" "$dir/$f"; then mv -f "$tmp/$f" "$dir/$f"; fi
}
for f in "${files[@]}"; do publish "$f" "$out"; done
publish xvector.scp "$out_xv" "$xv/xvector.scp" "$copy_xv/xvector.scp"
log "$(wc -l < "$out/utt2spk") utterances ($(wc -l < "$data/utt2spk") + $(wc -l < "$copy/utt2spk") as $prefix*) of $(wc -l < "$out/spk2utt") speakers -> $out, $out_xv"
