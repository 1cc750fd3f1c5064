#!/usr/bin/env bash
# Kaldi voxceleb-v2 augmentation of a data dir: reverberated (RIRS_NOISES), noise
# (MUSAN noise, foreground every 1 s), music (background) and babble (3-7 MUSAN speakers)
# copies with utterance suffixes -reverb -noise -music -babble, combined and subset to
# --subset-factor times the clean size. wav.scp entries are seeded commands that produce
# the augmented audio when features are computed; no audio is written.
# Per-kind dirs: <out>/parts/<kind>; combined subset: <out>.
set -euo pipefail

rirs_root=""            # RIRS_NOISES root; gives the default --rir-set-parameters
rir_set_parameters=""   # "<weight>, <rir_list>" pairs separated by ';'
musan_root=""           # MUSAN root (noise/ music/ speech/), or give the three dirs below
noise_dir=""            # data dir (wav.scp) or folder of noise audio
music_dir=""
babble_dir=""
kinds="reverb noise music babble"
fg_snrs="15:10:5:0"     # noise SNRs (dB) to choose from
fg_interval=1           # seconds between foreground noises
music_snrs="15:10:8:5"
babble_snrs="20:17:15:13"
num_babble_speakers="3:4:5:6:7"
subset_factor=2         # keep this many times the clean utterance count (0: all)
seed=0
sample_rate=16000
help_message="Usage: $0 [options] <clean-data> <out-data>
 e.g.: $0 --rirs-root RIRS_NOISES --musan-root musan --subset-factor 2 data/train data/train_aug
Options:
  --rirs-root <dir>            RIRS_NOISES root (default set: 0.5 smallroom, 0.5 mediumroom)
  --rir-set-parameters <spec>  e.g. \"0.5, RIRS_NOISES/simulated_rirs/smallroom/rir_list; 0.5, ...\"
  --musan-root <dir>           MUSAN root
  --noise-dir/--music-dir/--babble-dir <dir>  noise data dirs (override --musan-root)
  --kinds <list>               (default \"reverb noise music babble\"; also telephone, device)
  --fg-snrs, --music-snrs, --babble-snrs <a:b:c>  SNR choices in dB
  --fg-interval <s>            (default 1)
  --num-babble-speakers <a:b>  (default 3:4:5:6:7)
  --subset-factor <x>          (default 2)
  --seed <n>                   (default 0)
  --sample-rate <hz>           (default 16000)"

. "$(dirname "${BASH_SOURCE[0]}")/../utils/log.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../utils/signature.sh"

echo "$0 $*"
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  printf '%s\n' "$help_message" >&2
  exit 1
fi
src=$1
out=$2
start=$(date +%s)
if [ -z "$rir_set_parameters" ] && [ -n "$rirs_root" ]; then
  rir_set_parameters="0.5, $rirs_root/simulated_rirs/smallroom/rir_list; 0.5, $rirs_root/simulated_rirs/mediumroom/rir_list"
fi
# Skip when every option, the clean data dir's tables (and the audio they name), the RIR
# lists (and the RIRs they name) and the noise sources are unchanged and the output is there.
input_signature() {
  local inputs=(--option "$kinds|$rir_set_parameters|$musan_root|$noise_dir|$music_dir|$babble_dir"
    --option "$fg_snrs|$fg_interval|$music_snrs|$babble_snrs|$num_babble_speakers"
    --option "$subset_factor|$seed|$sample_rate" --table "$src/wav.scp" "$src/utt2spk"
    "$src/utt2dur" "$src/segments" "$src/reco2dur")
  local item rir_list noise
  IFS=';' read -r -a items <<< "$rir_set_parameters"
  for item in "${items[@]}"; do
    rir_list=$(echo "${item#*,}" | xargs)
    [ -n "$rir_list" ] && inputs+=(--table "$rir_list")
  done
  for noise in "$noise_dir" "$music_dir" "$babble_dir" "$musan_root"; do
    [ -n "$noise" ] || continue
    if [ -f "$noise/wav.scp" ]; then inputs+=(--table "$noise/wav.scp" "$noise/utt2dur")
    else inputs+=(--stat "$noise"); fi
  done
  signature "${inputs[@]}"
}
stamp=$out/.augment.done
if up_to_date "$stamp" "$(input_signature)" && [ -s "$out/wav.scp" ] && [ -s "$out/utt2spk" ]; then
  log "$out is up to date (same clean data, noises and options); skipping"
  exit 0
fi
forget_stamp "$stamp"
log "augment $src ($kinds) -> $out"
python -m Process_Data.bin.augment_data_dir --kinds "$kinds" \
  --rir-set-parameters "$rir_set_parameters" --musan-root "$musan_root" \
  --noise-dir "$noise_dir" --music-dir "$music_dir" --babble-dir "$babble_dir" \
  --fg-snrs "$fg_snrs" --fg-interval "$fg_interval" --music-snrs "$music_snrs" \
  --babble-snrs "$babble_snrs" --num-babble-speakers "$num_babble_speakers" \
  --subset-factor "$subset_factor" --seed "$seed" --sample-rate "$sample_rate" "$src" "$out"
write_stamp "$stamp" "$(input_signature)"
log "wrote $(wc -l < "$out/utt2spk") augmented utterances to $out in $(( $(date +%s) - start )) s"
