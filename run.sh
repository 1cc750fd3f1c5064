#!/usr/bin/env bash
# Speaker-verification recipe: data prep -> features -> augmentation -> egs -> training ->
# embeddings -> scoring -> report. Run `./run.sh` for the built-in demo corpus (CPU is
# enough), `./run.sh --stage N --stop-stage M` to run some stages, `./run.sh --help` for all
# options. Each stage skips work that is already done, so a killed run resumes with
# `--stage <the stage that was running>`. Every option is checked before stage 0.
set -euo pipefail

# ---- configuration (every variable is also an option: --feat-type mfcc) ----
stage=0                  # first stage to run
stop_stage=7             # last stage to run
corpus=demo              # demo | voxceleb | cnceleb | voxceleb-layout (see "corpora" below)
extra_test_sets=""       # more evaluation sets: sitw_dev sitw_eval librispeech_<subset> (e.g. librispeech_test_clean)
data_root=               # voxceleb-layout: corpus root in VoxCeleb1 layout (wav/<spk>/<session>/*)
voxceleb1_root=db/VoxCeleb1       # voxceleb: VoxCeleb1 (wav/, meta, trial lists)
voxceleb2_root=db/VoxCeleb2/dev   # voxceleb: VoxCeleb2 dev split (aac/)
cnceleb_roots="db/CN-Celeb_flac db/CN-Celeb2_flac"  # cnceleb: CN-Celeb1 [CN-Celeb2]
sitw_root=db/sitw        # --extra-test-sets sitw_*: Speakers in the Wild (dev/ eval/)
librispeech_root=db/LibriSpeech   # --extra-test-sets librispeech_*: holds test-clean/ ...
musan_root=              # MUSAN root (music/ noise/ speech/); needed by --augment offline|online
rirs_root=               # RIRS_NOISES root; needed by --augment offline|online
demo_speakers=200        # demo corpus size
demo_utts=20
demo_test_speakers=40
feat_type=fbank          # fbank | mfcc | spect
feat_conf=               # its Kaldi option file (default by type: conf/fbank_80.conf, conf/mfcc_30.conf, conf/spect_161.conf)
use_vad=false            # energy VAD on column 0 (C0): --feat-type mfcc only
cmn_window=300           # sliding CMN window of the front end (0: no CMN)
augment=none             # none | offline | online
augment_config=conf/augment_online.yaml  # --augment online: chain template (RIRS_ROOT, MUSAN_DATA)
augment_kinds="reverb noise music babble"  # --augment offline: copies made (also telephone, device)
speed_perturb=false      # add 0.9x and 1.1x speed copies of the training set as new speakers
train_config=conf/train/demo.yaml   # exp dir is exp/<config name>
train_overrides=""       # extra trainer options, e.g. "--train_conf.epochs 2"
min_frames=100           # training chunk lengths (frames); utterances shorter than min_frames are dropped
max_frames=200
num_repeats=2            # passes over the training data (egs, or per epoch with --augment online)
lm_finetune=false        # large-margin fine-tuning of the trained model into exp/<name>_lm (scored too)
lm_frames=300            # its egs: chunks of this many frames (shorter utterances are left out)
lm_margin=0.5            # its AAM margin (the config's loss needs a margin)
lm_lr=1.0e-5             # its learning rate (constant schedule)
lm_epochs=3              # its epochs
plda_lda_dim=0           # LDA dimension before PLDA (0: none)
domain_weights="1 2 3 5" # plda_adapt: candidate counts of the trial list's domain in PLDA training (chosen on the validation split)
val_fraction=0.1         # share of the training speakers (per domain) held out as the validation split
val_seed=0               # seed of their choice and of their trials
val_tel=false            # also a telephone copy of the validation split; choices weigh both
backend_tel=false        # PLDA trained on the back-end set and its telephone copy (multi-condition)
nj=4                     # parallel jobs
gpus=0                   # GPUs for training (0: CPU)
use_gpu_extract=false    # extract embeddings on GPUs
data=data                # where data dirs go
exp=exp                  # where experiments go
help_message="Usage: $0 [options]
 e.g.: $0                                     # built-in demo corpus, end to end on CPU
       $0 --corpus voxceleb-layout --data-root ../shared/data/minivox \\
          --musan-root ../shared/data/musan_mini --rirs-root ../shared/data/RIRS_NOISES_mini
       $0 --corpus voxceleb --gpus 4 --augment offline --musan-root db/musan \\
          --rirs-root db/RIRS_NOISES --train-config conf/train/ecapa_tdnn_c512.yaml \\
          --extra-test-sets \"sitw_eval librispeech_test_clean\"
Options (defaults at the top of $0):
  --stage N --stop-stage M   stages 0 data, 1 features, 2 augmentation, 3 egs, 4 train,
                             5 embeddings, 6 scoring, 7 report
  --corpus <name>            demo | voxceleb | cnceleb | voxceleb-layout (with --data-root)
  --extra-test-sets \"<sets>\" sitw_dev sitw_eval librispeech_<subset> (--sitw-root, --librispeech-root),
                             <test set>_tel (that set through a telephone: 8 kHz, mu-law; same trials)
  --feat-type <type>         fbank | mfcc | spect;  --use-vad <bool> (mfcc only)  --cmn-window N
  --feat-conf <file>         the front end's Kaldi option file instead of the type's default,
                             e.g. conf/fbank_80_nb.conf (20-3700 Hz, the band a telephone keeps)
  --augment <how>            none | offline | online (with --musan-root and --rirs-root)
  --augment-kinds \"<kinds>\"  offline copies: reverb noise music babble [telephone device]
  --speed-perturb <bool>     0.9x/1.1x speed copies as new training speakers (default false)
  --min-frames N --max-frames M --num-repeats R   training chunks (egs and --augment online)
  --train-config <yaml>      conf/train/*.yaml;  --train-overrides \"--key.sub value ...\"
  --lm-finetune <bool>       also large-margin fine-tune the model into exp/<name>_lm (stage 3
                             long egs, stage 4 training from final.pt; stages 5-7 score both);
                             --lm-frames --lm-margin --lm-lr --lm-epochs
  --val-fraction F --val-seed N  the validation split: training speakers (per domain) held
                             out of training and of the back-end statistics (PLDA, AS-norm
                             cohort, domain means); the back-end system, the domain weight and
                             the score calibration are chosen on its trials, never on test lists
  --val-tel <bool>           also a telephone copy of the validation split (8 kHz, mu-law; same
                             trials): the back-end and domain weight minimise the mean of the
                             clean and the telephone split's criterion (default false)
  --backend-tel <bool>       PLDA (plda, plda_adapt) trained on the back-end set and its telephone
                             copy, each speaker through both channels (default false)
  --domain-weights \"<w>...\"  plda_adapt's candidate domain weights (default \"1 2 3 5\")
  --nj N  --gpus N  --data <dir>  --exp <dir>"

. "$(dirname "${BASH_SOURCE[0]}")/utils/log.sh"

echo "$0 $*"
# shellcheck disable=SC1091
[ -f path.sh ] && . ./path.sh
. utils/parse_options.sh
if [ $# -ne 0 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi

# ---- corpora: training set, test sets, trial lists and data preparation, one place each ----
# <corpus>_sets sets train_set, test_specs and expected_lists; <corpus>_prepare writes
# them under $data; <corpus>_roots names the folders it reads (checked before stage 0).
# A test spec is "<set>" (trials in $data/<set>/trials*, enrolment from the same set) or
# "<set>:<enrol-set>"; a trailing "?" marks a set the corpus may not have
# (it is scored when stage 0 wrote it). expected_lists are "<set>/<trials file>": a list
# that is missing is named in the log and in RESULTS.md, never silently dropped.
# list_means=true: the trials_* lists of a set are parts of it (minivox: one per source
# corpus) and RESULTS.md gets their mean; never for Vox1's cleaned/original variants.
demo_sets() {  # the built-in synthetic corpus (local/make_demo_corpus.sh), VoxCeleb1 layout
  train_set=demo_dev; test_specs="demo_test"; expected_lists="demo_test/trials"; list_means=true
}
demo_prepare() {
  local/make_demo_corpus.sh --nj "$nj" --num-speakers "$demo_speakers" \
    --utts-per-speaker "$demo_utts" --num-test-speakers "$demo_test_speakers" "$data/demo_corpus"
  local/make_voxceleb1.sh --nj "$nj" --prefix demo "$data/demo_corpus" "$data"
}
demo_roots() { :; }  # made by demo_prepare
voxceleb_layout_prefix() { local p; p=$(basename "$data_root"); echo "${p//[^A-Za-z0-9_]/_}"; }
voxceleb_layout_sets() {  # any corpus in VoxCeleb1 layout (minivox), split by its meta file
  local p; p=$(voxceleb_layout_prefix)
  train_set=${p}_dev; test_specs="${p}_test"; expected_lists="${p}_test/trials"; list_means=true
}
voxceleb_layout_prepare() {
  local/make_voxceleb1.sh --nj "$nj" --prefix "$(voxceleb_layout_prefix)" "$data_root" "$data"
}
voxceleb_layout_roots() { echo "$data_root"; }
voxceleb_sets() {  # VoxCeleb2 dev training; Vox1-O in voxceleb1_test, Vox1-E/H in voxceleb1_all
  train_set=voxceleb2_dev; test_specs="voxceleb1_test voxceleb1_all?"; list_means=false
  expected_lists="voxceleb1_test/trials_vox1_o_clean voxceleb1_test/trials_vox1_o
    voxceleb1_all/trials_vox1_e_clean voxceleb1_all/trials_vox1_e
    voxceleb1_all/trials_vox1_h_clean voxceleb1_all/trials_vox1_h"
}
voxceleb_prepare() {
  local/make_voxceleb1.sh --nj "$nj" "$voxceleb1_root" "$data"
  local/make_voxceleb2.sh --nj "$nj" "$voxceleb2_root" "$data/voxceleb2_dev"
}
voxceleb_roots() { echo "$voxceleb1_root $voxceleb2_root"; }
cnceleb_sets() {  # CN-Celeb(2) dev training; eval trials score test utterances against enrolments
  train_set=cnceleb_train; test_specs="cnceleb_eval_test:cnceleb_eval_enroll"
  expected_lists="cnceleb_eval_test/trials"; list_means=false
}
cnceleb_prepare() {
  # shellcheck disable=SC2086
  local/make_cnceleb.sh --nj "$nj" $cnceleb_roots "$data"
}
cnceleb_roots() { echo "$cnceleb_roots"; }

# Extra evaluation sets (--extra-test-sets): the same three things per set family.
sitw_sets() {  # $1: dev | eval; core-core trials in the test dir
  test_specs="$test_specs sitw_$1_test:sitw_$1_enroll"
  expected_lists="$expected_lists sitw_$1_test/trials"
}
sitw_prepare() { local/make_sitw.sh --nj "$nj" --parts "$1" "$sitw_root" "$data"; }
sitw_roots() { echo "$sitw_root"; }
librispeech_subset() { local s=${1//_/-}; echo "$s"; }  # test_clean -> test-clean
librispeech_sets() {  # $1: subset with underscores; Vox1-O style trials drawn once (seeded)
  test_specs="$test_specs librispeech_$1"
  expected_lists="$expected_lists librispeech_$1/trials"
}
librispeech_prepare() {
  local dir=$data/librispeech_$1
  local/make_librispeech.sh --nj "$nj" "$librispeech_root/$(librispeech_subset "$1")" "$dir"
  [ -f "$dir/trials" ] || local/make_trials.sh "$dir" "$dir/trials"
}
librispeech_roots() { echo "$librispeech_root/$(librispeech_subset "$1")"; }
tel_sets() {  # $1: a test set of the corpus; <set>_tel is it through a telephone, same trials
  case " $test_specs " in
    *" $1 "*) ;;
    *) echo "$0: --extra-test-sets: ${1}_tel needs $1 among the corpus's test sets without an enrolment set (they are: $test_specs)" >&2
       return 1 ;;
  esac
  test_specs="$test_specs ${1}_tel"
  expected_lists="$expected_lists ${1}_tel/trials"
}
tel_prepare() {  # 16 kHz -> 8 kHz with G.711 mu-law -> 16 kHz, after the corpus's own sets
  python -m Process_Data.bin.channel_data_dir --channel telephone-mulaw "$data/$1" "$data/${1}_tel"
}
tel_roots() { :; }  # made from a set of stage 0
extra_family() {  # "sitw_eval" -> "sitw eval"; unknown names are errors
  case "$1" in
    sitw_dev|sitw_eval) echo "sitw ${1#sitw_}" ;;
    librispeech_?*) echo "librispeech ${1#librispeech_}" ;;
    ?*_tel) echo "tel ${1%_tel}" ;;
    *) echo "$0: --extra-test-sets: unknown set '$1' (valid: sitw_dev sitw_eval librispeech_<subset>, e.g. librispeech_test_clean, <test set>_tel)" >&2
       return 1 ;;
  esac
}

# ---- options, all checked before stage 0 ----
die() { echo "$0: $*" >&2; exit 1; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
for opt in stage stop_stage nj gpus cmn_window min_frames max_frames num_repeats plda_lda_dim \
    demo_speakers demo_utts demo_test_speakers lm_frames lm_epochs val_seed; do
  is_uint "${!opt}" || die "--${opt//_/-} must be a non-negative integer, got '${!opt}'"
done
[ "$nj" -ge 1 ] || die "--nj must be at least 1"
[ "$min_frames" -le "$max_frames" ] || die "--min-frames $min_frames is more than --max-frames $max_frames"
[ "$num_repeats" -ge 1 ] || die "--num-repeats must be at least 1"
case "$lm_finetune" in true|false) ;; *) die "--lm-finetune must be true or false, got '$lm_finetune'" ;; esac
case "$val_tel" in true|false) ;; *) die "--val-tel must be true or false, got '$val_tel'" ;; esac
[ "$lm_frames" -ge 1 ] || die "--lm-frames must be at least 1"
[[ "$lm_margin" =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] || die "--lm-margin must be a number, got '$lm_margin'"
[[ "$lm_lr" =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] || die "--lm-lr must be a number, got '$lm_lr'"
[[ "$val_fraction" =~ ^0?\.[0-9]*[1-9][0-9]*$ ]] || die "--val-fraction must be a number between 0 and 1, got '$val_fraction'"
[ -n "$domain_weights" ] || die "--domain-weights needs at least one weight"
for w in $domain_weights; do
  [[ "$w" =~ ^[1-9][0-9]*$ ]] || die "--domain-weights must be positive integers, got '$w'"
done
for k in $augment_kinds; do
  case "$k" in reverb|noise|music|babble|telephone|device) ;;
    *) die "--augment-kinds: unknown kind '$k' (valid: reverb noise music babble telephone device)" ;;
  esac
done
case "$corpus" in
  demo|voxceleb|cnceleb|voxceleb-layout) ;;
  *) die "--corpus must be demo, voxceleb, cnceleb or voxceleb-layout, got '$corpus'" ;;
esac
[ "$corpus" != voxceleb-layout ] || [ -n "$data_root" ] || die "--corpus voxceleb-layout needs --data-root"
# The front end: run.sh's name, the Kaldi feature type, the steps/ script and its option file.
case "$feat_type" in
  fbank) feature=fbank; default_conf=conf/fbank_80.conf ;;
  mfcc) feature=mfcc; default_conf=conf/mfcc_30.conf ;;
  spect) feature=spectrogram; default_conf=conf/spect_161.conf ;;
  *) die "--feat-type must be fbank, mfcc or spect, got '$feat_type'" ;;
esac
feat_conf=${feat_conf:-$default_conf}
[ -f "$feat_conf" ] || die "--feat-conf: no such option file: $feat_conf"
feat_script=steps/make_$feat_type.sh
feat_opt=("--$feat_type-config" "$feat_conf")
vad_conf=conf/vad.conf
if $use_vad; then
  # the energy VAD reads column 0 as log energy; only MFCC's C0 is one
  [ "$feat_type" = mfcc ] || die "--use-vad true needs an energy column (C0), which only --feat-type mfcc has; got --feat-type $feat_type"
  # augmented copies would need their clean utterance's VAD decision
  [ "$augment" != offline ] || die "--use-vad true with --augment offline is not supported; use --augment online or --use-vad false"
fi
case "$augment" in
  none) ;;
  offline|online)
    [ -d "$musan_root" ] || die "--augment $augment needs --musan-root (got '$musan_root')"
    [ -d "$rirs_root" ] || die "--augment $augment needs --rirs-root (got '$rirs_root')"
    [ "$augment" = offline ] || [ -f "$augment_config" ] || die "--augment-config: no such file $augment_config"
    ;;
  *) die "--augment must be none, offline or online, got '$augment'" ;;
esac
[ -f "$train_config" ] || die "--train-config: no such file $train_config"

corpus_fn=${corpus//-/_}
"${corpus_fn}_sets"
extras=()
for x in $extra_test_sets; do
  family=$(extra_family "$x") || exit 1
  extras+=("$family")
  # shellcheck disable=SC2086
  ${family% *}_sets ${family#* }
done
if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then  # the corpus roots stage 0 reads
  roots=$("${corpus_fn}_roots")
  for e in ${extras[@]+"${extras[@]}"}; do
    # shellcheck disable=SC2086
    roots="$roots $(${e% *}_roots ${e#* })"
  done
  for root in $roots; do
    [ -d "$root" ] || die "corpus root '$root' does not exist (check --data-root / the corpus paths at the top of $0)"
  done
fi

utils/setup_venv.sh
# shellcheck disable=SC1091
. ./path.sh
# shellcheck disable=SC1091
. ./cmd.sh

name=$(basename "$train_config" .yaml)
expdir=$exp/$name
mkdir -p "$exp"
times=$exp/stage_times.log
run_start=$(date +%s)
stage_start=$run_start
stage_done() {  # append "stage N <seconds>" to the times log
  local now; now=$(date +%s)
  echo "stage $1 $((now - stage_start)) s ($corpus, $name)" >> "$times"
  log "stage $1 took $((now - stage_start)) s"
  stage_start=$now
}
spec_sets() {  # the data sets of the test specs (test and enrolment), optional ones only if present
  local spec set
  for spec in $test_specs; do
    for set in $(echo "${spec%\?}" | tr ':' ' '); do
      if [[ "$spec" == *'?' ]] && [ ! -d "$data/$set" ]; then continue; fi
      echo "$set"
    done
  done | awk '!seen[$0]++'
}

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: data preparation: $corpus${extra_test_sets:+ + $extra_test_sets} -> $data/$train_set, test sets $test_specs"
  "${corpus_fn}_prepare"
  for e in ${extras[@]+"${extras[@]}"}; do
    # shellcheck disable=SC2086
    ${e% *}_prepare ${e#* }
  done
  if [ "$augment" != none ]; then
    local/make_musan.sh --nj "$nj" "$musan_root" "$data"
    local/make_rirs.sh --nj "$nj" "$rirs_root" "$data"
  fi
  for set in $train_set $(spec_sets); do utils/validate_data_dir.sh --no-feats "$data/$set"; done
  stage_done 0
fi

# What stage 0 wrote decides what is scored: optional sets and lists that are absent are
# skipped, and said so here and in RESULTS.md.
skipped=()
for spec in $test_specs; do
  if [[ "$spec" == *'?' ]] && [ ! -d "$data/${spec%%[:?]*}" ]; then
    skipped+=("test set ${spec%%[:?]*} (not written by stage 0: the corpus has none of its trial lists)")
  fi
done
for l in $expected_lists; do
  [ -f "$data/$l" ] || skipped+=("trial list $l (not in the corpus)")
done
for s in ${skipped[@]+"${skipped[@]}"}; do log "skipped: $s"; done
eval_sets=$(spec_sets | tr '\n' ' ')

make_features() {  # features (+ VAD) of data set $1, validated
  "$feat_script" --nj "$nj" --cmd "$train_cmd" "${feat_opt[@]}" --write-utt2num-frames true \
    "$data/$1" "$exp/make_$feat_type/$1" "$data/$1/data"
  if $use_vad; then
    steps/compute_vad_decision.sh --nj "$nj" --cmd "$train_cmd" --vad-config "$vad_conf" \
      "$data/$1" "$exp/make_vad/$1" "$data/$1/data"
  fi
  utils/validate_data_dir.sh "$data/$1"
}

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: features ($feat_type, VAD $use_vad): $data/<set>/wav.scp -> feats.scp"
  read -ra sets <<< "$train_set $eval_sets"
  for i in "${!sets[@]}"; do
    log "features of ${sets[$i]} ($((i + 1))/${#sets[@]}; job logs with progress in $exp/make_$feat_type/${sets[$i]}/)"
    make_features "${sets[$i]}"
  done
  stage_done 1
fi

# The validation split: val_set holds a seeded val_fraction of the training speakers (per
# domain) with their trials; they are left out of training and of the back-end statistics,
# which use pool_set, the other speakers. Every choice of stages 6-7 is made on val_set.
val_set=${train_set}_val
pool_set=${train_set}_train
# the sets whose lists the choices are made on: the split [+ its telephone copy]
val_sets=$val_set
$val_tel && val_sets="$val_set ${val_set}_tel"
# the telephone copies (8 kHz, mu-law; same ids [and trials]) that stage 2 makes and stage 5
# extracts, as <set>:<the option asking for it>: the split (--val-tel; choices weigh both) and
# the back-end set (--backend-tel; PLDA trained on both channels)
tel_copies=()
$val_tel && tel_copies+=("$val_set:--val-tel")
$backend_tel && tel_copies+=("$pool_set:--backend-tel")
# The training set of the egs (or of the on-the-fly loader): pool [+ speed copies] [+ augmented]
egs_train_set=$pool_set
$speed_perturb && egs_train_set=${pool_set}_sp_combined
[ "$augment" = offline ] && ! $speed_perturb && egs_train_set=${pool_set}_combined
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: validation split $data/$val_set; augmentation ($augment${augment:+ $([ "$augment" = offline ] && echo "$augment_kinds")}, speed perturbation $speed_perturb): $data/$pool_set -> $data/$egs_train_set"
  steps/make_calibration_split.sh --fraction "$val_fraction" --seed "$val_seed" \
    "$data/$train_set" "$data/$val_set" "$data/$pool_set"
  for copy in ${tel_copies[@]+"${tel_copies[@]}"}; do
    tel_prepare "${copy%%:*}"
    make_features "${copy%%:*}_tel"
  done
  parts=("$data/$pool_set")
  if $speed_perturb; then
    for factor in 0.9 1.1; do
      sp=${pool_set}_sp$factor
      if [ ! -f "$data/$sp/feats.scp" ] || ! cmp -s <(cut -d' ' -f1 "$data/$pool_set/utt2spk") \
          <(sed 's/^sp[0-9.]*-//' "$data/$sp/utt2spk" | cut -d' ' -f1); then
        # (re)made when missing or of other utterances; speakers become sp<factor>-<spk>: new classes
        utils/data/perturb_data_dir_speed.sh "$factor" "$data/$pool_set" "$data/$sp"
      fi
      make_features "$sp"
      parts+=("$data/$sp")
    done
  fi
  if [ "$augment" = offline ]; then
    steps/augment_data_dir.sh --rirs-root "$rirs_root" --musan-root "$musan_root" \
      --kinds "$augment_kinds" --subset-factor 2 "$data/$pool_set" "$data/${pool_set}_aug"
    make_features "${pool_set}_aug"
    parts+=("$data/${pool_set}_aug")
  fi
  if [ ${#parts[@]} -gt 1 ]; then
    utils/combine_data.sh "$data/$egs_train_set" "${parts[@]}"
    utils/validate_data_dir.sh "$data/$egs_train_set"
  fi
  if [ "$augment" = online ]; then  # the chain of conf/, with this run's MUSAN/RIR paths
    python -m Process_Data.bin.fill_placeholders --check-chain "$augment_config" \
      "$expdir/augment.yaml" RIRS_ROOT="$rirs_root" MUSAN_DATA="$data"
  fi
  stage_done 2
fi

egs=$exp/egs_${egs_train_set}
if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  log "Stage 3: egs: $data/$egs_train_set -> $egs"
  if [ "$augment" = online ]; then
    log "online augmentation chunks $data/$egs_train_set/wav.scp while training: no egs"
  else
    steps/make_egs.sh --cmd "$train_cmd" --min-len "$min_frames" \
      --min-frames "$min_frames" --max-frames "$max_frames" --num-repeats "$num_repeats" \
      --cmn-window "$cmn_window" --use-vad "$use_vad" "$data/$egs_train_set" "$egs"
    if $lm_finetune; then  # long fixed-length chunks for large-margin fine-tuning
      # labelled with the main egs' classes: the fine-tuned model keeps its classifier
      steps/make_egs.sh --cmd "$train_cmd" --min-len "$lm_frames" --spk2int "$egs/spk2int" \
        --min-frames "$lm_frames" --max-frames "$lm_frames" --num-repeats "$num_repeats" \
        --cmn-window "$cmn_window" --use-vad "$use_vad" "$data/$egs_train_set" "${egs}_lm"
    fi
  fi
  stage_done 3
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  log "Stage 4: training: $train_config -> $expdir/final.pt"
  # egs carry their front end (<egs>/info/frontend.yaml); the on-the-fly loader is told it
  data_opts=(--data egs --data_conf.egs_dir "$egs")
  if [ "$augment" = online ]; then
    cmn=sliding
    [ "$cmn_window" -eq 0 ] && cmn=none
    vad_opts=()
    $use_vad && vad_opts=(--frontend.vad_config "$vad_conf")
    data_opts=(--data onthefly --data_conf.data_dir "$data/$egs_train_set" --data_conf.source wav
               --data_conf.augment "$expdir/augment.yaml"
               --data_conf.min_frames "$min_frames" --data_conf.max_frames "$max_frames"
               --data_conf.num_repeats "$num_repeats"
               --frontend.feature "$feature" --frontend.feature_config "$feat_conf"
               --frontend.vad "$use_vad" "${vad_opts[@]}"
               --frontend.cmn "$cmn" --frontend.cmn_window "$cmn_window")
  fi
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$cuda_cmd" --gpus "$gpus" "$train_config" "$expdir" \
    "${data_opts[@]}" $train_overrides
  if $lm_finetune; then
    log "large-margin fine-tuning: $expdir/final.pt -> ${expdir}_lm/final.pt ($lm_frames-frame chunks, margin $lm_margin, lr $lm_lr, $lm_epochs epochs)"
    lm_data=(--data egs --data_conf.egs_dir "${egs}_lm")
    if [ "$augment" = online ]; then
      lm_data=("${data_opts[@]}" --data_conf.min_frames "$lm_frames" --data_conf.max_frames "$lm_frames")
    fi
    # shellcheck disable=SC2086
    steps/train.sh --cmd "$cuda_cmd" --gpus "$gpus" "$train_config" "${expdir}_lm" \
      "${lm_data[@]}" $train_overrides --train_conf.init_checkpoint "$expdir/final.pt" \
      --loss_conf.margin "$lm_margin" --margin_scheduler null --optimizer_conf.lr "$lm_lr" \
      --scheduler constant --train_conf.epochs "$lm_epochs"
  fi
  stage_done 4
fi

# the experiments scored: the trained model [and its large-margin fine-tuned copy]
exp_dirs=("$expdir")
if $lm_finetune; then exp_dirs+=("${expdir}_lm"); fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  log "Stage 5: embeddings: $expdir/final.pt -> $expdir/xvectors_<set>/xvector.scp"
  read -ra sets <<< "$train_set $eval_sets"
  for copy in ${tel_copies[@]+"${tel_copies[@]}"}; do  # their own audio: not subsets of the training set's
    s=${copy%%:*}_tel opt=${copy#*:}
    [ -f "$data/$s/feats.scp" ] || die "$opt true: no $data/$s/feats.scp; run stage 2 with $opt true"
    sets+=("$s")
  done
  for expdir in "${exp_dirs[@]}"; do
    # the front end (features, VAD, CMN) travels inside final.pt
    for i in "${!sets[@]}"; do
      log "embeddings of ${sets[$i]} ($((i + 1))/${#sets[@]})"
      steps/extract_embeddings.sh --nj "$nj" --cmd "$decode_cmd" --use-gpu "$use_gpu_extract" \
        "$expdir" "$data/${sets[$i]}" "$expdir/xvectors_${sets[$i]}"
    done
    for part in "$val_set" "$pool_set"; do  # taken from the training set's embeddings
      steps/subset_embeddings.sh "$data/$part" "$expdir/xvectors_$train_set" "$expdir/xvectors_$part"
    done
    if $backend_tel; then  # the PLDA's set: each back-end speaker through both channels
      steps/combine_embeddings.sh --prefix tel- "$data/$pool_set" "$expdir/xvectors_$pool_set" \
        "$data/${pool_set}_tel" "$expdir/xvectors_${pool_set}_tel" "$data/${pool_set}_mc" \
        "$expdir/xvectors_${pool_set}_mc"
    fi
  done
  expdir=${exp_dirs[0]}
  stage_done 5
fi

# Every (trials file, enrolment set, test set) to score. A "trials" file with the same
# content as a named list of its set (Vox1: trials = trials_vox1_o_clean) is scored once,
# under the named list, so a cleaned and an original list cannot be mistaken for each other.
score_lists() {
  local spec set enrol t
  for spec in $test_specs; do
    set=${spec%%[:?]*}
    enrol=$set
    [[ "$spec" == *:* ]] && enrol=${spec#*:} && enrol=${enrol%\?}
    [ -d "$data/$set" ] || continue
    for t in "$data/$set"/trials "$data/$set"/trials_*; do
      [ -f "$t" ] || continue
      if [ "$(basename "$t")" = trials ] && [ -n "$(same_list_as "$t")" ]; then continue; fi
      echo "$t $enrol $set"
    done
  done
  return 0
}
same_list_as() {  # the trials_* file of $1's dir with the same content, if any
  local other
  for other in "$(dirname "$1")"/trials_*; do
    if [ -f "$other" ] && cmp -s "$1" "$other"; then echo "$other"; return 0; fi
  done
  return 0
}
val_lists() {  # the validation split's lists: trials [+ trials_<domain> with two or more
  local t v   # domains], [and the same of its telephone copy]
  for v in $val_sets; do
    for t in "$data/$v"/trials "$data/$v"/trials_*; do
      if [ -f "$t" ]; then echo "$t $v $v"; fi
    done
  done
  return 0
}

# With utt2domain in every set (minivox: the source corpus) two more systems are scored:
# cosine_dc (embeddings centred on their domain's training mean) and plda_adapt (PLDA whose
# training counts the trial list's domain <domain weight> times; plain PLDA for mixed lists).
domain_sets=""
for set in $train_set $val_sets $eval_sets; do
  [ -f "$data/$set/utt2domain" ] || { domain_sets=""; break; }
  domain_sets="$domain_sets $set"
done
# cosine_cal: cosine calibrated to LLRs; cosine_sm: "submean", cosine after subtracting the
# mean of the back-end set's embeddings
systems="cosine cosine_cal cosine_sm plda cosine_asnorm"
[ -n "$domain_sets" ] && systems="$systems cosine_dc plda_adapt"
# the candidates on the validation split (cosine_cal is fitted on its trials), plda_adapt
# once per domain weight when there are several
val_systems=${systems/cosine_cal /}
if [ -n "$domain_sets" ] && [ "$(echo "$domain_weights" | wc -w)" -gt 1 ]; then
  read -ra weight_list <<< "$domain_weights"
  val_systems="${val_systems/plda_adapt/}$(printf ' plda_adapt_w%s' "${weight_list[@]}")"
fi
selection=selection.yaml  # in the exp dir: what stage 6 chose on the validation split
plda_set=$pool_set  # the PLDA's training set: the back-end set [+ its telephone copy]
$backend_tel && plda_set=${pool_set}_mc

# score_list <trials> <enrol set> <test set> <domain weights>: every system's scores of one
# list in $expdir/scores/<system>_<list>_<test set>; plda_adapt once per weight, named
# plda_adapt_w<weight> when more than one is given.
score_list() {
  local trials=$1 enrol=$2 test=$3 weights=$4 tag domain w name adapt
  tag=$(basename "$trials")_$test
  steps/score_cosine.sh --cmd "$decode_cmd" --compute-metrics false "$trials" \
    "$expdir/xvectors_$enrol" "$expdir/xvectors_$test" "$expdir/scores/cosine_$tag"
  steps/score_cosine.sh --cmd "$decode_cmd" --compute-metrics false "$trials" \
    "$expdir/xvectors_${enrol}_sm" "$expdir/xvectors_${test}_sm" "$expdir/scores/cosine_sm_$tag"
  steps/score_plda.sh --cmd "$train_cmd" --compute-metrics false --lda-dim "$plda_lda_dim" \
    "$data/$plda_set" "$expdir/xvectors_$plda_set" "$trials" "$expdir/xvectors_$enrol" \
    "$expdir/xvectors_$test" "$expdir/scores/plda_$tag"
  steps/score_norm.sh --cmd "$decode_cmd" --compute-metrics false --method asnorm \
    "$trials" "$expdir/scores/cosine_$tag" "$expdir/xvectors_$enrol" "$expdir/xvectors_$test" \
    "$expdir/xvectors_$pool_set" "$expdir/scores/cosine_asnorm_$tag"
  [ -n "$domain_sets" ] || return 0
  steps/score_cosine.sh --cmd "$decode_cmd" --compute-metrics false "$trials" \
    "$expdir/xvectors_${enrol}_dc" "$expdir/xvectors_${test}_dc" "$expdir/scores/cosine_dc_$tag"
  domain=$(utils/trials_domain.sh "$trials" "$data/$test/utt2domain")
  # with one domain in the back-end's data there is nothing to weigh it against
  [ "$(cut -d' ' -f2 "$data/$plda_set/utt2domain" | sort -u | wc -l)" -gt 1 ] || domain=""
  for w in $weights; do
    name=plda_adapt
    [ "$(echo "$weights" | wc -w)" -gt 1 ] && name=plda_adapt_w$w
    adapt=()
    [ -n "$domain" ] && adapt=(--adapt-domain "$domain" --domain-weight "$w")
    steps/score_plda.sh --cmd "$train_cmd" --compute-metrics false --lda-dim "$plda_lda_dim" \
      "${adapt[@]}" "$data/$plda_set" "$expdir/xvectors_$plda_set" "$trials" \
      "$expdir/xvectors_$enrol" "$expdir/xvectors_$test" "$expdir/scores/${name}_$tag"
  done
}

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  log "Stage 6: scoring ($systems): the validation split's trials, then the test lists -> $expdir/scores/"
  for expdir in "${exp_dirs[@]}"; do
    if $backend_tel && [ ! -f "$expdir/xvectors_$plda_set/xvector.scp" ]; then
      die "--backend-tel true: no $expdir/xvectors_$plda_set/xvector.scp; run stage 5 with --backend-tel true"
    fi
    mkdir -p "$expdir/scores"
    for set in $domain_sets; do
      steps/center_embeddings.sh --cmd "$train_cmd" "$data/$pool_set" "$expdir/xvectors_$pool_set" \
        "$data/$set" "$expdir/xvectors_$set" "$expdir/xvectors_${set}_dc"
    done
    for set in $val_sets $eval_sets; do
      steps/center_embeddings.sh --cmd "$train_cmd" --one-domain true "$data/$pool_set" \
        "$expdir/xvectors_$pool_set" "$data/$set" "$expdir/xvectors_$set" "$expdir/xvectors_${set}_sm"
    done
    # 1. the validation split: every candidate system and domain weight -> VALIDATION.md
    val_results=$expdir/VALIDATION.md
    rm -f "$val_results"
    while read -r trials enrol test; do
      log "validation: scoring $trials"
      score_list "$trials" "$enrol" "$test" "$domain_weights"
      tag=$(basename "$trials")_$test
      for system in $val_systems; do
        python -m TrainAndTest.bin.compute_metrics --results "$val_results" --system "$system" \
          "$trials" "$expdir/scores/${system}_$tag" > /dev/null
      done
    done < <(val_lists)
    python -m TrainAndTest.bin.results_means "$val_results"
    python -m TrainAndTest.bin.select_backend --grid plda_adapt=domain_weight \
      "$val_results" "$expdir/$selection"
    chosen_weight=$domain_weights
    if [ -n "$domain_sets" ]; then
      chosen_weight=$(python -m TrainAndTest.bin.select_backend --get domain_weight "$expdir/$selection" 2>/dev/null || echo "$domain_weights")
    fi
    # 2. the operating point verify uses and cosine_cal: the validation trials' cosine scores
    steps/fit_operating_point.sh "$data/$val_set/trials" "$expdir/scores/cosine_trials_$val_set" "$expdir"
    # 3. the test lists, with the chosen domain weight
    num_lists=$(score_lists | wc -l)
    i=0
    score_lists | while read -r trials enrol test; do
      i=$((i + 1))
      log "scoring $trials ($i/$num_lists)"
      score_list "$trials" "$enrol" "$test" "$chosen_weight"
      tag=$(basename "$trials")_$test
      python -m TrainAndTest.bin.apply_calibration "$expdir" "$expdir/scores/cosine_$tag" \
        "$expdir/scores/cosine_cal_$tag"
    done
  done
  expdir=${exp_dirs[0]}
  stage_done 6
fi

if [ "$stage" -le 7 ] && [ "$stop_stage" -ge 7 ]; then
  log "Stage 7: report: $expdir/scores -> $expdir/RESULTS.md, thresholds.md, DET and t-SNE plots"
  for expdir in "${exp_dirs[@]}"; do
    results=$expdir/RESULTS.md
    rm -f "$results"
    chosen=$(python -m TrainAndTest.bin.select_backend --get system "$expdir/$selection")
    notes=()
    for s in ${skipped[@]+"${skipped[@]}"}; do notes+=(--note "skipped: $s"); done
    n_val=$(wc -l < "$data/$val_set/spk2utt")
    tel_note=""
    if $val_tel; then
      tel_note=", and its telephone copy ${val_set}_tel (8 kHz, mu-law; same trials): the choices minimise the mean of both sets' criteria"
    fi
    notes+=(--note "validation split: $val_set, $n_val training speakers held out of training and of PLDA, cohort and domain means, $(wc -l < "$data/$val_set/trials") trials$tel_note; its results are in VALIDATION.md")
    if $backend_tel; then
      notes+=(--note "PLDA (plda, plda_adapt) trained on $pool_set and its telephone copy ${pool_set}_tel (8 kHz, mu-law): $(wc -l < "$data/$plda_set/utt2spk") embeddings of $(wc -l < "$data/$plda_set/spk2utt") speakers")
    fi
    notes+=(--note "chosen on the validation split: $(python -m TrainAndTest.bin.select_backend --describe "$expdir/$selection"); the rows 'selected:<system>' repeat that system's rows")
    # how well the split resolves that choice: the chosen system against the runner-up on
    # the criterion, both resampled over the same held-out speakers (a selection written
    # before the runner-up was recorded has none: rerun stage 6)
    runner=$(python -m TrainAndTest.bin.select_backend --get runner_up "$expdir/$selection" 2>/dev/null) || runner=""
    if [ -n "$runner" ]; then
      val_dirs=$data/$val_set
      $val_tel && val_dirs+=",$data/${val_set}_tel"
      prefixes=()
      for s in "$chosen" "$runner"; do
        if [ "$s" = plda_adapt ] && [ "$(echo "$domain_weights" | wc -w)" -gt 1 ]; then
          s=plda_adapt_w$(python -m TrainAndTest.bin.select_backend --get domain_weight "$expdir/$selection")
        fi
        prefixes+=("$expdir/scores/$s")
      done
      resolution=$(python -m TrainAndTest.bin.bootstrap_eer --one-line --criterion "$val_dirs" \
        "${prefixes[@]}") || die "the speaker bootstrap of the validation choice failed ($expdir)"
      notes+=(--note "the choice against the runner-up $runner: the chosen system minus $runner on the validation criterion, speaker bootstrap (python -m TrainAndTest.bin.bootstrap_eer --criterion): $resolution")
    fi
    notes+=(--note "calibration: cosine_cal is cosine calibrated on $val_set/trials; actDCF and Cllr treat every system's scores as LLRs; thresholds in thresholds.md")
    # shellcheck disable=SC2046
    python -m TrainAndTest.bin.provenance --config "$train_config" --exp-dir "$expdir" \
      --train-data "$data/$egs_train_set" --overrides "$train_overrides" ${notes[@]+"${notes[@]}"} \
      "$results" $(score_lists | cut -d' ' -f1)
    score_lists | while read -r trials _ test; do
      tag=$(basename "$trials")_$test
      for system in $systems; do
        python -m TrainAndTest.bin.compute_metrics --results "$results" --system "$system" \
          --calibrated --min-cllr --det "$expdir/scores/DET_${system}_$tag.png" "$trials" \
          "$expdir/scores/${system}_$tag" > "$expdir/scores/${system}_$tag.metrics"
      done
      python -m TrainAndTest.bin.compute_metrics --results "$results" --system "selected:$chosen" \
        --calibrated --min-cllr "$trials" "$expdir/scores/${chosen}_$tag" > /dev/null
    done
    # the stored thresholds (verify's) and the error rates they give on each list's cosine scores
    pairs=()
    while read -r trials _ test; do
      pairs+=("$trials" "$expdir/scores/cosine_$(basename "$trials")_$test")
    done < <(score_lists)
    python -m TrainAndTest.bin.threshold_report --fitted-on "$val_set/trials" "$expdir" \
      "$expdir/thresholds.md" ${pairs[@]+"${pairs[@]}"}
    # minivox: the mean over the per-corpus lists (trials_az, ...) of each system
    if $list_means; then python -m TrainAndTest.bin.results_means "$results"; fi
    first_test=${test_specs%% *}
    first_test=${first_test%%[:?]*}
    python -m TrainAndTest.bin.plot_tsne "$expdir/xvectors_$first_test" \
      "$data/$first_test/utt2spk" "$expdir/tsne_$first_test.png"
    cat "$results"
  done
  expdir=${exp_dirs[0]}
  stage_done 7
fi

log "Done in $(( $(date +%s) - run_start )) s; stage times in $times"
