#!/usr/bin/env bash
# The embeddings of a subset of a data dir, taken from the set's extracted embeddings instead
# of extracting them again: <out-dir>/xvector.scp (the lines of <xvector-dir>/xvector.scp
# whose utterances are in <data-subset>/utt2spk; the archives are shared), spk_xvector.{ark,scp}
# and num_utts.ark of the subset's speakers, as steps/extract_embeddings.sh writes them.
# A rerun skips when the embeddings and the subset are unchanged.
set -euo pipefail

help_message="Usage: $0 <data-subset> <xvector-dir> <out-dir>
 e.g.: $0 data/voxceleb2_dev_backend exp/ecapa/xvectors_voxceleb2_dev exp/ecapa/xvectors_voxceleb2_dev_backend"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
data=$1 dir=$2 out=$3

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"
for f in "$data/utt2spk" "$data/spk2utt" "$dir/xvector.scp"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
input_signature() { signature --table "$dir/xvector.scp" "$data/utt2spk" "$data/spk2utt"; }
stamp=$out/.subset_embeddings.done
if up_to_date "$stamp" "$(input_signature)" && scp_archives_exist "$out/xvector.scp" "$out/spk_xvector.scp"; then
  log "$out is up to date (same embeddings and subset); skipping"
  exit 0
fi
forget_stamp "$stamp"
mkdir -p "$out"
utils/filter_scp.pl "$data/utt2spk" "$dir/xvector.scp" > "$out/.xvector.scp.tmp"
want=$(wc -l < "$data/utt2spk")
got=$(wc -l < "$out/.xvector.scp.tmp")
if [ "$got" -ne "$want" ]; then
  echo "$0: $dir/xvector.scp has embeddings of $got of the $want utterances of $data" >&2
  rm -f "$out/.xvector.scp.tmp"
  exit 1
fi
mv "$out/.xvector.scp.tmp" "$out/xvector.scp"
python -m TrainAndTest.bin.speaker_mean "$data/spk2utt" "$out/xvector.scp" "$out"
write_stamp "$stamp" "$(input_signature)"
log "$got embeddings of $data -> $out"
