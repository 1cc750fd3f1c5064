"""Make Kaldi-v2-style augmented data dirs (reverb, noise, music, babble), combined and subset.

Example:
    python -m Process_Data.bin.augment_data_dir --kinds reverb,noise,music,babble \\
        --rir-set-parameters "0.5, RIRS_NOISES/simulated_rirs/smallroom/rir_list; 0.5, \\
        RIRS_NOISES/simulated_rirs/mediumroom/rir_list" --musan-root musan \\
        --subset-factor 2 --seed 0 data/train data/train_aug

See ``Process_Data.augment.offline`` for what each kind does.
"""

from __future__ import annotations

import argparse
import sys


def arg_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(
        prog="python -m Process_Data.bin.augment_data_dir",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--kinds", default="reverb,noise,music,babble", help="comma-separated kinds")
    p.add_argument("--rir-set-parameters", default="",
                   help="'<weight>, <rir_list>' pairs separated by ';'")
    p.add_argument("--musan-root", default="", help="MUSAN root (noise/ music/ speech/)")
    p.add_argument("--noise-dir", default="", help="noise data dir (overrides --musan-root)")
    p.add_argument("--music-dir", default="", help="music data dir (overrides --musan-root)")
    p.add_argument("--babble-dir", default="", help="speech data dir for babble")
    p.add_argument("--fg-snrs", default="15:10:5:0")
    p.add_argument("--fg-interval", default="1")
    p.add_argument("--music-snrs", default="15:10:8:5")
    p.add_argument("--babble-snrs", default="20:17:15:13")
    p.add_argument("--num-babble-speakers", default="3:4:5:6:7")
    p.add_argument("--subset-factor", type=float, default=2.0,
                   help="keep this many times the clean utterance count (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sample-rate", type=int, default=16000)
    p.add_argument("--python", default="python", help="interpreter named in wav.scp commands")
    p.add_argument("src", help="clean data dir")
    p.add_argument("out", help="output data dir")
    return p


def main(argv=None) -> int:
    """Run; errors in options or inputs are reported before any work, exit code 1."""
    from Process_Data.augment.base import AugmentationError
    from Process_Data.augment.offline import make_augmented_dir
    from Process_Data.data_dir import DataDirError

    a = arg_parser().parse_args(argv)
    try:
        counts = make_augmented_dir(
            a.src, a.out,
            kinds=[k for k in a.kinds.replace(",", " ").split() if k],
            subset_factor=a.subset_factor,
            python=a.python,
            rir_set_parameters=a.rir_set_parameters or None,
            musan_root=a.musan_root or None,
            noise_dir=a.noise_dir or None,
            music_dir=a.music_dir or None,
            babble_dir=a.babble_dir or None,
            fg_snrs=a.fg_snrs, fg_interval=a.fg_interval, music_snrs=a.music_snrs,
            babble_snrs=a.babble_snrs, num_babble_speakers=a.num_babble_speakers,
            seed=a.seed, sample_rate=a.sample_rate,
        )
    except (AugmentationError, DataDirError) as e:
        print(f"augment_data_dir: error: {e}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
