"""VoxCeleb2 (``<root>/aac/<spk>/<session>/<utt>.m4a``) -> one data dir.

The m4a files are not converted: each ``wav.scp`` entry is an ffmpeg pipe decoding to
16-bit mono WAV at the configured rate (``<ffmpeg> -nostdin -v error -i <path> -f wav -ac 1
-ar 16000 - |``), with ffmpeg resolved at prep time (PATH, else imageio-ffmpeg). Files are
checked to exist and be non-empty; m4a durations would need decoding, so there is no
utt2dur for them (other formats in the same layout get one). The split is the folder given
(VoxCeleb2 ships ``dev/aac`` and ``test/aac``).

Example (shell): ``python -m Process_Data.bin.make_voxceleb2 /corpora/voxceleb2/dev data/voxceleb2_dev``
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from Process_Data.corpora.common import (
    CorpusError,
    build_tables,
    check_audio,
    scan_vox_layout,
    vox_utt_id,
    write_data_dir,
)
from Process_Data.corpora.voxceleb1 import read_speaker_sets


def prepare_voxceleb2(
    root,
    out_dir,
    meta: Optional[str] = None,
    sample_rate: int = 16000,
    num_threads: int = 8,
    log=print,
) -> Path:
    """Prepare one VoxCeleb2 split.

    Args:
        root: the split folder holding ``aac/`` (or ``wav/``), e.g. ``voxceleb2/dev``.
        out_dir: the data dir to write.
        meta: optional ``vox2_meta.csv`` for spk2gender.
        sample_rate: output rate of the ffmpeg pipes.
        num_threads: threads for the file checks.
        log: progress printer.

    Returns:
        the data dir path.

    Raises:
        CorpusError: no ``aac/`` or ``wav/`` folder, or bad audio files (named by path).
    """
    root = Path(root)
    sub = next((root / d for d in ("aac", "wav") if (root / d).is_dir()), None)
    if sub is None:
        raise CorpusError(f"{root}: neither aac/ nor wav/ found (VoxCeleb2 layout)")
    files = scan_vox_layout(sub)
    log(f"{sub}: {len(files)} audio files")
    durs = check_audio(files.values(), num_threads)
    genders = read_speaker_sets(meta)[1] if meta else {}
    tables = build_tables(
        {vox_utt_id(r): p for r, p in files.items()},
        {vox_utt_id(r): r.split("/")[0] for r in files},
        durs, genders, sample_rate,
    )  # fmt: skip
    return write_data_dir(out_dir, tables, log=log)
