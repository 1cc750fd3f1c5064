#!/usr/bin/env bash
# Centre embeddings per domain: subtract, from each (length-normalised) embedding, the mean of
# the training embeddings of its domain (<data>/utt2domain, e.g. the source corpus).
# Output: <out-dir>/xvector.{ark,scp}, spk_xvector.{ark,scp}, num_utts.ark; log in <out-dir>/log/.
# A rerun with the same embeddings, domains and options skips (signature in <out-dir>).
set -euo pipefail

cmd=run.pl            # job backend ($train_cmd from cmd.sh)
length_norm=true      # length-normalise before taking and subtracting the means
one_domain=false      # true: one mean for all (submean); utt2domain is not read
help_message="Usage: $0 [options] <train-data-dir> <train-xvector-dir> <data-dir> <xvector-dir> <out-dir>
 e.g.: $0 data/minivox_dev exp/ecapa/xvectors_minivox_dev data/minivox_test exp/ecapa/xvectors_minivox_test exp/ecapa/xvectors_minivox_test_dc
Both data dirs need utt2domain (local/make_voxceleb1.sh writes it when the meta file has a
domain or corpus column).
Options:
  --cmd <cmd>                job backend (default run.pl)
  --length-norm <bool>       length-normalise first (default true)
  --one-domain <bool>        one domain for every utterance: subtract the mean of all
                             training embeddings (\"submean\"); no utt2domain needed"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 5 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
train_data=$1
train_dir=$2
data=$3
dir=$4
out=$5

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
case $length_norm in true|false) ;; *) echo "$0: --length-norm must be true or false, got '$length_norm'" >&2; exit 1 ;; esac
case $one_domain in true|false) ;; *) echo "$0: --one-domain must be true or false, got '$one_domain'" >&2; exit 1 ;; esac
train_u2d=$train_data/utt2domain
u2d=$data/utt2domain
domain_tables=("$train_u2d" "$u2d")
if $one_domain; then train_u2d=-; u2d=-; domain_tables=(); fi
for f in ${domain_tables[@]+"${domain_tables[@]}"} "$train_dir/xvector.scp" "$data/spk2utt" "$dir/xvector.scp"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"
input_signature() {
  signature --option "length_norm=$length_norm one_domain=$one_domain" --table "$train_dir/xvector.scp" \
    --table "$dir/xvector.scp" ${domain_tables[@]+"${domain_tables[@]}"} "$data/spk2utt"
}
stamp=$out/.center_embeddings.done
if up_to_date "$stamp" "$(input_signature)" && scp_archives_exist "$out/xvector.scp" "$out/spk_xvector.scp"; then
  log "$out is up to date (same embeddings, domains and options); skipping"
  exit 0
fi
forget_stamp "$stamp"
mkdir -p "$out/log"
if $one_domain; then what="on the mean of all training embeddings"; else what="per domain of $u2d"; fi
log "centring $dir $what (means from $train_dir) -> $out"
$cmd "$out/log/center_embeddings.log" \
  python -m TrainAndTest.bin.center_embeddings --length-norm "$length_norm" \
    --spk2utt "$data/spk2utt" "$train_u2d" "$train_dir/xvector.scp" \
    "$u2d" "$dir/xvector.scp" "$out" \
  || { echo "$0: centring failed; see $out/log/center_embeddings.log" >&2; tail -n 5 "$out/log/center_embeddings.log" >&2; exit 1; }
tail -n 1 "$out/log/center_embeddings.log" >&2
write_stamp "$stamp" "$(input_signature)"
