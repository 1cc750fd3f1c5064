"""Compute Kaldi features for the utterances of a wav.scp (+ segments) into ark/scp.

Usage:
    python -m Process_Data.bin.compute_feats --feature-type=fbank [--config=conf/fbank.conf]
        [--segments=data/x/segments] [--compress=true] [--write-utt2num-frames=FILE]
        [Kaldi feature options, e.g. --num-mel-bins=80] <wav.scp> <ark,scp:X.ark,X.scp>

Audio is read with :class:`Process_Data.audio.AudioReader` and resampled to
``--sample-frequency``. An utterance shorter than one frame, or whose audio cannot be
read, is reported on stderr (offline-augmentation and speed-perturbation pipes are
computed in this process, with the same samples as the commands) and skipped; the exit status is 1 only when nothing got
features (as Kaldi's compute-*-feats). The dither seed of each utterance is derived from
its id, so results do not depend on how the data were split into jobs.

Example:
    python -m Process_Data.bin.compute_feats --feature-type=mfcc --config=conf/mfcc.conf \\
        data/train/wav.scp ark,scp:mfcc/raw_mfcc_train.1.ark,mfcc/raw_mfcc_train.1.scp
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from typing import List, Optional

from Process_Data.features import FEATURES, OptionError, parse_options
from Process_Data.kaldi_table import (
    TableWriter,
    parse_kaldi_args,
    pop_option,
    to_bool,
    warn,
)
from Process_Data.progress import progress


def utt_seed(base: int, utt: str) -> int:
    """Dither seed of one utterance: ``base`` mixed with a CRC of its id."""
    return (int(base) * 1000003 + zlib.crc32(utt.encode())) % (2**63)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    # One thread per job: the job array is the parallelism (Kaldi's model); more threads per
    # job oversubscribe the cores and were measured 60x slower on a loaded machine.
    import torch

    torch.set_num_threads(1)
    opts, pos = parse_kaldi_args(sys.argv[1:] if argv is None else argv)
    if len(pos) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        kind = pop_option(opts, "feature-type", "fbank")
        config = pop_option(opts, "config")
        segments = pop_option(opts, "segments")
        compress = to_bool(pop_option(opts, "compress", "false"), "compress")
        utt2num_frames = pop_option(opts, "write-utt2num-frames")
        if kind not in FEATURES:
            raise OptionError(f"--feature-type: unknown '{kind}'; valid: "
                              f"{', '.join(FEATURES.names())}")
        computer = FEATURES.get(kind)(parse_options(kind, opts, config))
    except (OptionError, ValueError, OSError) as e:
        print(f"ERROR (compute_feats): {e}", file=sys.stderr)
        return 1
    import Process_Data.augment  # noqa: F401  (offline-augmentation entries read in-process)
    from Process_Data.audio import AudioError, AudioReader

    wav_scp, wspecifier = pos
    rate = computer.frame.sample_frequency
    reader = AudioReader(wav_scp, segments=segments, sample_rate=int(rate))
    frame_len = computer.frame.window_size
    start = time.time()
    num_done = num_fail = 0
    lengths = {}
    with TableWriter(wspecifier, compress=compress) as writer:
        for utt in progress(reader.keys(), desc=f"compute_feats {kind}", unit="utt"):
            try:
                wave, sr = reader.read(utt)
            except (AudioError, KeyError, OSError) as e:
                warn(f"utterance {utt}: {e}; skipped")
                num_fail += 1
                continue
            if computer.num_frames(len(wave)) == 0:
                warn(f"utterance {utt}: {len(wave)} samples is shorter than one frame "
                     f"({frame_len} samples); skipped")
                num_fail += 1
                continue
            feats = computer.compute(wave, sr, seed=utt_seed(computer.frame.dither_seed, utt))
            writer(utt, feats)
            lengths[utt] = feats.shape[0]
            num_done += 1
    if utt2num_frames:
        tmp = f"{utt2num_frames}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.writelines(f"{u} {n}\n" for u, n in lengths.items())
        os.replace(tmp, utt2num_frames)
    print(f"LOG (compute_feats): {kind}: done {num_done} utterances, failed {num_fail}, "
          f"{time.time() - start:.1f} s", file=sys.stderr)
    return 0 if num_done > 0 or num_fail == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
