#!/usr/bin/env bash
# Print the one domain that every utterance of a trial list belongs to (per <utt2domain>), or
# nothing when the list mixes domains or has utterances without one. Both trial formats work
# (Kaldi 'enrol test [target|nontarget]' and VoxCeleb 'label enrol test': the ids are looked up,
# the label is not).
# e.g.: utils/trials_domain.sh data/minivox_test/trials_rav data/minivox_test/utt2domain  -> rav
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "Usage: $0 <trials> <utt2domain>" >&2
  exit 1
fi
for f in "$1" "$2"; do
  [ -f "$f" ] || { echo "$0: no such file $f" >&2; exit 1; }
done
awk 'NR == FNR { dom[$1] = $2; next }
     { for (i = 1; i <= NF; i++) {
         if ($i in dom) { seen[dom[$i]] = 1; found++ }
       }
       if (found < 2) { missing = 1 }
       found = 0 }
     END { n = 0; for (d in seen) { n++; one = d }
           if (n == 1 && !missing) print one }' "$2" "$1"
