#!/usr/bin/env bash
# Speaker-verification recipe: data prep -> features -> augmentation -> egs -> training ->
# embeddings -> scoring -> report. Run `./run.sh` for the built-in demo corpus (CPU is
# enough), `./run.sh --stage N --stop-stage M` to run some stages, `./run.sh --help` for all
# options. Each stage skips work that is already done, so a killed run resumes with
# `--stage <the stage that was running>`.
set -euo pipefail

# ---- configuration (every variable is also an option: --feat-type mfcc) ----
stage=0                  # first stage to run
stop_stage=7             # last stage to run
corpus=demo              # demo | voxceleb | cnceleb | voxceleb-layout
data_root=               # voxceleb-layout: corpus root in VoxCeleb1 layout (wav/<spk>/<session>/*)
voxceleb1_root=db/VoxCeleb1       # voxceleb: VoxCeleb1 (wav/, meta, trial lists)
voxceleb2_root=db/VoxCeleb2/dev   # voxceleb: VoxCeleb2 dev split (aac/)
cnceleb_roots="db/CN-Celeb_flac db/CN-Celeb2_flac"  # cnceleb: CN-Celeb1 [CN-Celeb2]
musan_root=              # MUSAN root (music/ noise/ speech/); needed by --augment offline|online
rirs_root=               # RIRS_NOISES root; needed by --augment offline|online
demo_speakers=200        # demo corpus size
demo_utts=20
demo_test_speakers=40
feat_type=fbank          # fbank | mfcc | spect
use_vad=false            # energy VAD (needs a C0/energy column: mfcc; see README)
cmn_window=300           # sliding CMN window of egs and extraction (0: off)
augment=none             # none | offline | online
speed_perturb=false      # add 0.9x and 1.1x speed copies of the training set as new speakers
train_config=conf/train/demo.yaml   # exp dir is exp/<config name>
train_overrides=""       # extra trainer options, e.g. "--train_conf.epochs 2"
min_frames=100           # egs chunk lengths (frames); utterances shorter than min_frames are dropped
max_frames=200
num_repeats=2            # egs passes over the training data
plda_lda_dim=0           # LDA dimension before PLDA (0: none)
domain_weight=3          # plda_adapt: the trial list's domain counts this often in PLDA training
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
          --rirs-root db/RIRS_NOISES --train-config conf/train/ecapa_tdnn_c512.yaml
Options (defaults at the top of $0):
  --stage N --stop-stage M   stages 0 data, 1 features, 2 augmentation, 3 egs, 4 train,
                             5 embeddings, 6 scoring, 7 report
  --corpus <name>            demo | voxceleb | cnceleb | voxceleb-layout (with --data-root)
  --feat-type <type>         fbank | mfcc | spect
  --augment <how>            none | offline | online
  --speed-perturb <bool>     0.9x/1.1x speed copies as new training speakers (default false)
  --train-config <yaml>      conf/train/*.yaml;  --train-overrides \"--key.sub value ...\"
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
utils/setup_venv.sh
# shellcheck disable=SC1091
. ./path.sh
# shellcheck disable=SC1091
. ./cmd.sh

case "$feat_type" in
  fbank) feat_script=steps/make_fbank.sh; feat_opt=(--fbank-config conf/fbank_80.conf) ;;
  mfcc) feat_script=steps/make_mfcc.sh; feat_opt=(--mfcc-config conf/mfcc_30.conf) ;;
  spect) feat_script=steps/make_spect.sh; feat_opt=(--spect-config conf/spect_161.conf) ;;
  *) echo "$0: --feat-type must be fbank, mfcc or spect, got '$feat_type'" >&2; exit 1 ;;
esac
case "$augment" in
  none) ;;
  offline|online)
    [ -d "$musan_root" ] || { echo "$0: --augment $augment needs --musan-root (got '$musan_root')" >&2; exit 1; }
    [ -d "$rirs_root" ] || { echo "$0: --augment $augment needs --rirs-root (got '$rirs_root')" >&2; exit 1; }
    ;;
  *) echo "$0: --augment must be none, offline or online, got '$augment'" >&2; exit 1 ;;
esac
[ -f "$train_config" ] || { echo "$0: --train-config: no such file $train_config" >&2; exit 1; }

# Data sets of each corpus: one training set, and "trials enrol-set test-set" triples.
case "$corpus" in
  demo)
    corpus_dir=$data/demo_corpus; prefix=demo; train_set=demo_dev; test_sets="demo_test" ;;
  voxceleb-layout)
    [ -n "$data_root" ] || { echo "$0: --corpus voxceleb-layout needs --data-root" >&2; exit 1; }
    corpus_dir=$data_root; prefix=$(basename "$data_root"); prefix=${prefix//[^A-Za-z0-9_]/_}
    train_set=${prefix}_dev; test_sets="${prefix}_test" ;;
  voxceleb)
    corpus_dir=$voxceleb1_root; prefix=voxceleb1; train_set=voxceleb2_dev
    test_sets="voxceleb1_test voxceleb1_all" ;;
  cnceleb)
    corpus_dir=${cnceleb_roots%% *}; prefix=cnceleb; train_set=cnceleb_train
    test_sets="cnceleb_eval_enroll cnceleb_eval_test" ;;
  *) echo "$0: --corpus must be demo, voxceleb, cnceleb or voxceleb-layout, got '$corpus'" >&2; exit 1 ;;
esac
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

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  log "Stage 0: data preparation: $corpus -> $data/{$train_set,${test_sets// /,}}"
  if [ "$corpus" = demo ]; then
    local/make_demo_corpus.sh --nj "$nj" --num-speakers "$demo_speakers" \
      --utts-per-speaker "$demo_utts" --num-test-speakers "$demo_test_speakers" "$corpus_dir"
  fi
  [ -d "$corpus_dir" ] || { echo "$0: corpus root '$corpus_dir' does not exist (check --data-root / the corpus paths at the top of $0)" >&2; exit 1; }
  case "$corpus" in
    demo|voxceleb-layout) local/make_voxceleb1.sh --nj "$nj" --prefix "$prefix" "$corpus_dir" "$data" ;;
    voxceleb)
      local/make_voxceleb1.sh --nj "$nj" "$voxceleb1_root" "$data"
      local/make_voxceleb2.sh --nj "$nj" "$voxceleb2_root" "$data/voxceleb2_dev" ;;
    cnceleb)
      # shellcheck disable=SC2086
      local/make_cnceleb.sh --nj "$nj" $cnceleb_roots "$data" ;;
  esac
  if [ "$augment" != none ]; then
    local/make_musan.sh --nj "$nj" "$musan_root" "$data"
    local/make_rirs.sh --nj "$nj" "$rirs_root" "$data"
  fi
  for set in $train_set $test_sets; do utils/validate_data_dir.sh --no-feats "$data/$set"; done
  stage_done 0
fi

make_features() {  # features (+ VAD) of data set $1, validated
  "$feat_script" --nj "$nj" --cmd "$train_cmd" "${feat_opt[@]}" --write-utt2num-frames true \
    "$data/$1" "$exp/make_$feat_type/$1" "$data/$1/data"
  if $use_vad; then
    steps/compute_vad_decision.sh --nj "$nj" --cmd "$train_cmd" "$data/$1" \
      "$exp/make_vad/$1" "$data/$1/data"
  fi
  utils/validate_data_dir.sh "$data/$1"
}

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  log "Stage 1: features ($feat_type, VAD $use_vad): $data/<set>/wav.scp -> feats.scp"
  for set in $train_set $test_sets; do make_features "$set"; done
  stage_done 1
fi

case "$speed_perturb" in true|false) ;; *) echo "$0: --speed-perturb must be true or false, got '$speed_perturb'" >&2; exit 1 ;; esac
# The training set of the egs (or of the on-the-fly loader): clean [+ speed copies] [+ augmented]
egs_train_set=$train_set
$speed_perturb && egs_train_set=${train_set}_sp_combined
[ "$augment" = offline ] && ! $speed_perturb && egs_train_set=${train_set}_combined
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "Stage 2: augmentation ($augment, speed perturbation $speed_perturb): $data/$train_set -> $data/$egs_train_set"
  parts=("$data/$train_set")
  if $speed_perturb; then
    for factor in 0.9 1.1; do
      sp=${train_set}_sp$factor
      if [ ! -f "$data/$sp/feats.scp" ]; then  # speakers become sp<factor>-<spk>: new classes
        utils/data/perturb_data_dir_speed.sh "$factor" "$data/$train_set" "$data/$sp"
      fi
      make_features "$sp"
      parts+=("$data/$sp")
    done
  fi
  if [ "$augment" = offline ]; then
    steps/augment_data_dir.sh --rirs-root "$rirs_root" --musan-root "$musan_root" \
      --subset-factor 2 "$data/$train_set" "$data/${train_set}_aug"
    "$feat_script" --nj "$nj" --cmd "$train_cmd" "${feat_opt[@]}" --write-utt2num-frames true \
      "$data/${train_set}_aug" "$exp/make_$feat_type/${train_set}_aug" "$data/${train_set}_aug/data"
    if $use_vad; then  # augmented copies share the clean utterance's VAD decision
      echo "$0: --use-vad with --augment offline is not supported; use --augment online" >&2
      exit 1
    fi
    parts+=("$data/${train_set}_aug")
  fi
  if [ ${#parts[@]} -gt 1 ]; then
    utils/combine_data.sh "$data/$egs_train_set" "${parts[@]}"
    utils/validate_data_dir.sh "$data/$egs_train_set"
  fi
  if [ "$augment" = online ]; then
    mkdir -p "$expdir"
    cat > "$expdir/augment.yaml.tmp" <<EOF
# online augmentation chain written by run.sh stage 2
sample_rate: 16000
stages:
  - name: reverberate
    prob: 0.3
    args: {rir_set_parameters: "1.0, $rirs_root/simulated_rirs/smallroom/rir_list"}
  - one_of:
      - {name: add_noise, args: {noises: $data/musan_noise, mode: foreground, snrs: [0, 15]}}
      - {name: add_noise, args: {noises: $data/musan_music, mode: background, snrs: [5, 15]}}
      - {name: add_noise, args: {noises: $data/musan_speech, mode: babble, snrs: [13, 20]}}
    prob: 0.6
EOF
    mv "$expdir/augment.yaml.tmp" "$expdir/augment.yaml"
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
  fi
  stage_done 3
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  log "Stage 4: training: $train_config -> $expdir/final.pt"
  data_opts=(--data egs --data_conf.egs_dir "$egs")
  if [ "$augment" = online ]; then
    data_opts=(--data onthefly --data_conf.data_dir "$data/$egs_train_set" --data_conf.source wav
               --data_conf.augment "$expdir/augment.yaml")
  fi
  # shellcheck disable=SC2086
  steps/train.sh --cmd "$cuda_cmd" --gpus "$gpus" "$train_config" "$expdir" \
    "${data_opts[@]}" $train_overrides
  stage_done 4
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  log "Stage 5: embeddings: $expdir/final.pt -> $expdir/xvectors_<set>/xvector.scp"
  for set in $train_set $test_sets; do
    steps/extract_embeddings.sh --nj "$nj" --cmd "$decode_cmd" --use-gpu "$use_gpu_extract" \
      --cmn-window "$cmn_window" --use-vad "$use_vad" "$expdir" "$data/$set" "$expdir/xvectors_$set"
  done
  stage_done 5
fi

# Every (trials file, enrolment set, test set) to score.
score_lists() {
  local set t
  if [ "$corpus" = cnceleb ]; then
    echo "$data/cnceleb_eval_test/trials cnceleb_eval_enroll cnceleb_eval_test"
    return
  fi
  for set in $test_sets; do
    for t in "$data/$set"/trials "$data/$set"/trials_*; do
      [ -f "$t" ] && echo "$t $set $set"
    done
  done
  return 0
}

# With utt2domain in every set (minivox: the source corpus) two more systems are scored:
# cosine_dc (embeddings centred on their domain's training mean) and plda_adapt (PLDA whose
# training counts the trial list's domain domain_weight times; plain PLDA for mixed lists).
domain_sets=""
for set in $train_set $test_sets; do
  [ -f "$data/$set/utt2domain" ] || { domain_sets=""; break; }
  domain_sets="$domain_sets $set"
done
systems="cosine plda cosine_asnorm"
[ -n "$domain_sets" ] && systems="$systems cosine_dc plda_adapt"

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  log "Stage 6: scoring ($systems): trials -> $expdir/scores/"
  mkdir -p "$expdir/scores"
  for set in $domain_sets; do
    steps/center_embeddings.sh --cmd "$train_cmd" "$data/$train_set" "$expdir/xvectors_$train_set" \
      "$data/$set" "$expdir/xvectors_$set" "$expdir/xvectors_${set}_dc"
  done
  score_lists | while read -r trials enrol test; do
    tag=$(basename "$trials")_$test
    steps/score_cosine.sh --cmd "$decode_cmd" --compute-metrics false "$trials" \
      "$expdir/xvectors_$enrol" "$expdir/xvectors_$test" "$expdir/scores/cosine_$tag"
    steps/score_plda.sh --cmd "$train_cmd" --compute-metrics false --lda-dim "$plda_lda_dim" \
      "$data/$train_set" "$expdir/xvectors_$train_set" "$trials" "$expdir/xvectors_$enrol" \
      "$expdir/xvectors_$test" "$expdir/scores/plda_$tag"
    steps/score_norm.sh --cmd "$decode_cmd" --compute-metrics false --method asnorm \
      "$trials" "$expdir/scores/cosine_$tag" "$expdir/xvectors_$enrol" "$expdir/xvectors_$test" \
      "$expdir/xvectors_$train_set" "$expdir/scores/cosine_asnorm_$tag"
    if [ -n "$domain_sets" ]; then
      steps/score_cosine.sh --cmd "$decode_cmd" --compute-metrics false "$trials" \
        "$expdir/xvectors_${enrol}_dc" "$expdir/xvectors_${test}_dc" "$expdir/scores/cosine_dc_$tag"
      domain=$(utils/trials_domain.sh "$trials" "$data/$test/utt2domain")
      adapt=()
      [ -n "$domain" ] && adapt=(--adapt-domain "$domain" --domain-weight "$domain_weight")
      steps/score_plda.sh --cmd "$train_cmd" --compute-metrics false --lda-dim "$plda_lda_dim" \
        "${adapt[@]}" "$data/$train_set" "$expdir/xvectors_$train_set" "$trials" \
        "$expdir/xvectors_$enrol" "$expdir/xvectors_$test" "$expdir/scores/plda_adapt_$tag"
    fi
  done
  stage_done 6
fi

if [ "$stage" -le 7 ] && [ "$stop_stage" -ge 7 ]; then
  log "Stage 7: report: $expdir/scores -> $expdir/RESULTS.md, DET and t-SNE plots"
  results=$expdir/RESULTS.md
  rm -f "$results"
  score_lists | while read -r trials _ test; do
    tag=$(basename "$trials")_$test
    for system in $systems; do
      python -m TrainAndTest.bin.compute_metrics --results "$results" --system "$system" \
        --det "$expdir/scores/DET_${system}_$tag.png" "$trials" "$expdir/scores/${system}_$tag" \
        > "$expdir/scores/${system}_$tag.metrics"
    done
  done
  # minivox: the mean over the per-corpus lists (trials_az, ...) of each system
  python -m TrainAndTest.bin.results_means "$results"
  first_test=${test_sets%% *}
  python -m TrainAndTest.bin.compute_metrics --tsne "$expdir/tsne_$first_test.png" \
    --embeddings "$expdir/xvectors_$first_test/xvector.scp" --utt2spk "$data/$first_test/utt2spk" \
    "$(score_lists | head -n 1 | cut -d' ' -f1)" \
    "$expdir/scores/cosine_$(basename "$(score_lists | head -n 1 | cut -d' ' -f1)")_$first_test" \
    > /dev/null
  stage_done 7
  cat "$results"
fi

log "Done in $(( $(date +%s) - run_start )) s; stage times in $times"
