#!/usr/bin/env bash
# Score fusion of several trained models, every choice on the validation split (issue 18).
# Each exp dir contributes the back-end that run.sh's stage 6 chose for it on the validation
# split (selection.yaml: the system and, for plda_adapt, the domain weight), or with
# --systems all every back-end stage 6 compared (plda_adapt at its chosen weight). The fusion
# weights and bias are learned on the validation list by prior-weighted logistic regression
# (python -m TrainAndTest.bin.fuse_scores --fit-trials), so the fused score is a calibrated
# log-likelihood ratio; then every trial list of the test sets is fused with them and
# reported. The test lists only report: nothing here is chosen on them.
set -euo pipefail

data=data          # where the data dirs are
p_target=0.5       # prior of the fusion's cross-entropy
names=""           # a name per exp dir for the report (default: the exp dirs' base names)
systems=selected   # selected: each exp's chosen back-end; all: every back-end it compared
help_message="Usage: $0 [options] <val-sets> <test-sets> <out-dir> <exp-dir> <exp-dir> [<exp-dir> ...]
 e.g.: $0 minivox_dev_val \"minivox_test minivox_test_tel\" exp_val/fused \\
         exp_val/minivox_ecapa exp_val/minivox_ecapa_seed2
       $0 \"minivox_dev_val minivox_dev_val_tel\" \"minivox_test minivox_test_tel\" exp_val/fused_ct ...
With several validation sets (run.sh --val-tel true: the split and its telephone copy, same
ids) the weights are learned on all their trials at once, one fusion for both channels.
The exp dirs come from run.sh runs on the same data dirs (the same validation split and
test sets), each scored through stage 6 (selection.yaml and scores/). Writes in <out-dir>:
scores/fused_<list>_<set> (every trials* list of each set), fusion.npz (the weights and
bias), systems.txt (which system of which exp, in weight order), VALIDATION.md (the
validation lists: 'fused' in-sample, 'fused_cv' out of fold over 5 folds of its speakers,
which is the row to compare fusions of different sizes by) and RESULTS.md (the test lists,
with each input's own rows).
Options:
  --data <dir>       where the data dirs are (default data)
  --p-target <p>     prior of the fusion's cross-entropy (default 0.5)
  --names \"a b ...\"  a name per exp dir in the report (default: their base names, which
                     must then differ)
  --systems <which>  selected (default): each exp dir's chosen back-end; all: every back-end
                     its stage 6 compared on the validation split (selection.yaml candidates),
                     one fusion input each"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
echo "$0 $*"
. utils/parse_options.sh
[ $# -ge 5 ] || { printf '%s\n' "$help_message" >&2; exit 1; }
[ -f ./path.sh ] && . ./path.sh
val_sets=$1 test_sets=$2 out=$3
shift 3
exps=("$@")

die() { echo "$0: $*" >&2; exit 1; }
case $systems in selected|all) ;; *) die "--systems: expected selected or all, got '$systems'";; esac
read -ra val_list <<< "$val_sets"
[ ${#val_list[@]} -ge 1 ] || die "no validation set given"
for val_set in "${val_list[@]}"; do
  [ -f "$data/$val_set/trials" ] || die "no validation list $data/$val_set/trials"
  [ -f "$data/$val_set/utt2spk" ] || die "no $data/$val_set/utt2spk (the folds of the out-of-fold fusion)"
done
for t in $test_sets; do [ -f "$data/$t/trials" ] || die "no test list $data/$t/trials"; done

# scores_of <exp> <system> <weight> <list tag>: the score file of that system; plda_adapt
# scored with several domain weights on the validation split is named plda_adapt_w<weight>.
scores_of() {
  local f=$1/scores/${2}_$4
  if [ -n "$3" ] && [ -f "$1/scores/${2}_w${3}_$4" ]; then f=$1/scores/${2}_w${3}_$4; fi
  [ -f "$f" ] || die "$f: no such score file (run run.sh through stage 6 for $1)"
  echo "$f"
}

read -ra labels <<< "$names"
if [ ${#labels[@]} -eq 0 ]; then
  for e in "${exps[@]}"; do labels+=("$(basename "$e")"); done
fi
[ ${#labels[@]} -eq ${#exps[@]} ] || die "--names: ${#labels[@]} names for ${#exps[@]} exp dirs"
[ "$(printf '%s\n' "${labels[@]}" | sort -u | wc -l)" -eq ${#exps[@]} ] \
  || die "two exp dirs have the same name (${labels[*]}); give --names"
# the fusion inputs: one (exp dir, system, domain weight, name) per input
in_exp=() in_sys=() in_w=() in_label=() described=()
for j in "${!exps[@]}"; do
  e=${exps[$j]}
  [ -f "$e/selection.yaml" ] || die "$e/selection.yaml: no validation choice (run run.sh stage 6 first)"
  if [ "$systems" = all ]; then
    listed=$(python -m TrainAndTest.bin.select_backend --get candidates "$e/selection.yaml") \
      || die "$e/selection.yaml: no candidates for --systems all"
    read -ra chosen <<< "$listed"
  else
    chosen=("$(python -m TrainAndTest.bin.select_backend --get system "$e/selection.yaml")")
  fi
  for s in "${chosen[@]}"; do
    w=""
    if [ "$s" = plda_adapt ]; then
      w=$(python -m TrainAndTest.bin.select_backend --get domain_weight "$e/selection.yaml" 2>/dev/null) || w=""
    fi
    in_exp+=("$e") in_sys+=("$s") in_w+=("$w") in_label+=("${labels[$j]}:$s")
    described+=("${labels[$j]}:$s${w:+ (domain weight $w)}")
  done
done

tmp=$out/.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp/scores"
trap 'rm -rf "$tmp"' EXIT

# the development list: every validation list, the ids of the k-th set as v<k>/<id> (copies
# share ids; a speaker keeps its folds across copies)
fit=() fit_trials=$tmp/fit/trials fit_groups=$tmp/fit/utt2spk
mkdir -p "$tmp/fit"
for k in "${!val_list[@]}"; do
  awk -v p="v$k/" '{ $1 = p $1; $2 = p $2 } 1' "$data/${val_list[$k]}/trials"
done > "$fit_trials"
for k in "${!val_list[@]}"; do
  awk -v p="v$k/" '{ print p $1, $2 }' "$data/${val_list[$k]}/utt2spk"
done > "$fit_groups"
for i in "${!in_exp[@]}"; do
  for k in "${!val_list[@]}"; do
    awk -v p="v$k/" '{ $1 = p $1; $2 = p $2 } 1' \
      "$(scores_of "${in_exp[$i]}" "${in_sys[$i]}" "${in_w[$i]}" "trials_${val_list[$k]}")"
  done > "$tmp/fit/input$i"
  fit+=("$tmp/fit/input$i")
done
fit_csv=$(IFS=,; echo "${fit[*]}")
printf '%s\n' "${described[@]}" > "$tmp/systems.txt"
joined=$(printf '%s, ' "${described[@]}")
joined=${joined%, }

# the weights and bias, learned once on the validation list(s) and, for comparing fusions, the
# validation lists fused out of fold (5 folds of their speakers)
python -m TrainAndTest.bin.fuse_scores --fit-trials "$fit_trials" \
  --fit-scores "$fit_csv" --p-target "$p_target" --save "$tmp/fusion.npz" \
  --cv-groups "$fit_groups" --cv-out "$tmp/fused_cv" \
  "$fit_trials" "${fit[@]}" "$tmp/fit_fused"
for k in "${!val_list[@]}"; do  # each validation set's out-of-fold scores, under its own ids
  awk -v p="v$k/" 'index($1, p) == 1 && index($2, p) == 1 {
    $1 = substr($1, length(p) + 1); $2 = substr($2, length(p) + 1); print }' \
    "$tmp/fused_cv" > "$tmp/fused_cv.$k"
done

# fuse_list <trials> <set> <results> [<k>]: fuse one list with those weights and report it;
# <k>: the list belongs to the k-th validation set
fuse_list() {
  local trials=$1 set=$2 results=$3 tag inputs=() i
  tag=$(basename "$trials")_$set
  for i in "${!in_exp[@]}"; do
    inputs+=("$(scores_of "${in_exp[$i]}" "${in_sys[$i]}" "${in_w[$i]}" "$tag")")
  done
  [ -f "$tmp/scores/fused_$tag" ] || python -m TrainAndTest.bin.fuse_scores \
    --fusion "$tmp/fusion.npz" "$trials" "${inputs[@]}" "$tmp/scores/fused_$tag"
  python -m TrainAndTest.bin.compute_metrics --results "$results" --system fused \
    --calibrated --min-cllr "$trials" "$tmp/scores/fused_$tag" > "$tmp/scores/fused_$tag.metrics"
  if [ -n "${4-}" ]; then  # a validation list: its trials of the out-of-fold scores
    awk 'NR == FNR { keep[$1 " " $2] = 1; next } ($1 " " $2) in keep' "$trials" "$tmp/fused_cv.${4-}" \
      > "$tmp/scores/fused_cv_$tag"
    python -m TrainAndTest.bin.compute_metrics --results "$results" --system fused_cv \
      --calibrated --min-cllr "$trials" "$tmp/scores/fused_cv_$tag" > /dev/null
  fi
  for i in "${!in_exp[@]}"; do
    python -m TrainAndTest.bin.compute_metrics --results "$results" \
      --system "${in_label[$i]}" --calibrated --min-cllr "$trials" \
      "${inputs[$i]}" > /dev/null
  done
}

for k in "${!val_list[@]}"; do
  for trials in "$data/${val_list[$k]}"/trials*; do
    [ -f "$trials" ] && fuse_list "$trials" "${val_list[$k]}" "$tmp/VALIDATION.md" "$k"
  done
done
for set in $test_sets; do
  for trials in "$data/$set"/trials*; do
    [ -f "$trials" ] && fuse_list "$trials" "$set" "$tmp/RESULTS.md"
  done
done
for r in VALIDATION.md RESULTS.md; do
  if grep -q "/trials_" "$tmp/$r"; then python -m TrainAndTest.bin.results_means "$tmp/$r"; fi
  { echo "# Fusion of: $joined"
    echo
    echo "Weights and bias learned on $(printf '%s/trials ' "${val_list[@]}")(p_target $p_target), in the order of"
    echo "systems.txt: $(python -c "import numpy as np, sys; z = np.load(sys.argv[1]); print(', '.join(f'{w:.4g}' for w in z['weights']), 'bias', f\"{float(z['bias']):.4g}\")" "$tmp/fusion.npz")."
    if [ "$r" = VALIDATION.md ]; then
      echo
      echo "The 'fused' rows are in-sample (fitted on these trials); 'fused_cv' fuses each of 5"
      echo "folds of the validation speakers with weights learned without them: compare fusions"
      echo "of different sizes by 'fused_cv'."
    fi
    echo
    cat "$tmp/$r"; } > "$tmp/$r.new"
  mv "$tmp/$r.new" "$tmp/$r"
done

# publish: the finished outputs replace the old ones only now
mkdir -p "$out/scores"
for f in "$tmp"/scores/*; do mv -f "$f" "$out/scores/"; done
for f in fusion.npz systems.txt VALIDATION.md RESULTS.md; do mv -f "$tmp/$f" "$out/$f"; done
log "fused ${#in_exp[@]} systems ($joined) -> $out/RESULTS.md"
cat "$out/RESULTS.md"
