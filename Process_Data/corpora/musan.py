"""MUSAN -> ``musan_music``, ``musan_noise``, ``musan_speech`` data dirs (with utt2dur).

Layout read: ``<root>/{music,noise,speech}/<source>/<name>.wav`` with an ``ANNOTATIONS``
file per music source (``<name> <genres> <vocals Y|N> ...``). Music with vocals is left out
by default (sung voices would teach the model that music is a speaker). Music files without
an annotation are left out with a warning, as Kaldi's make_musan.py does. Each recording is
its own speaker (``utt2spk`` maps it to itself), the convention of augmentation data dirs.

Example (shell): ``python -m Process_Data.bin.make_musan /corpora/musan data``
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional

from Process_Data.corpora.common import (
    AUDIO_EXTENSIONS,
    CorpusError,
    build_tables,
    check_audio,
    read_lines,
    write_data_dir,
)

#: MUSAN's three parts.
PARTS = ("music", "noise", "speech")


def read_vocals(annotations) -> Dict[str, bool]:
    """A music ``ANNOTATIONS`` file -> name -> has vocals.

    Raises:
        CorpusError: a line with fewer than 3 fields or a vocals value other than Y/N.
    """
    out = {}
    for lineno, f in read_lines(annotations, 3):
        if f[2] not in ("Y", "N"):
            raise CorpusError(f"{annotations}:{lineno}: vocals field '{f[2]}' is not Y or N")
        out[f[0]] = f[2] == "Y"
    return out


def scan_part(root: Path, part: str, use_vocals: bool = False, log=print) -> Dict[str, str]:
    """recording id -> absolute path for one MUSAN part (music filtered by vocals)."""
    base = root / part
    if not base.is_dir():
        raise CorpusError(f"{base}: missing (MUSAN layout <root>/{part}/<source>/*.wav)")
    out: Dict[str, str] = {}
    for src in sorted(os.scandir(base), key=lambda e: e.name):
        if not src.is_dir():
            continue
        vocals: Optional[Dict[str, bool]] = None
        if part == "music":
            ann = Path(src.path) / "ANNOTATIONS"
            vocals = read_vocals(ann) if ann.is_file() else {}
        for f in sorted(os.scandir(src.path), key=lambda e: e.name):
            stem, ext = os.path.splitext(f.name)
            if f.is_dir() or ext.lower() not in AUDIO_EXTENSIONS:
                continue
            if vocals is not None:
                if stem not in vocals:
                    log(f"warning: {f.path}: no annotation in {src.path}/ANNOTATIONS; left out")
                    continue
                if vocals[stem] and not use_vocals:
                    continue
            if stem in out:
                raise CorpusError(f"{f.path}: recording id '{stem}' seen twice in {base}")
            out[stem] = os.path.abspath(f.path)
    return out


def prepare_musan(
    root, out_dir, prefix: str = "musan", use_vocals: bool = False, num_threads: int = 8,
    log=print,
) -> Dict[str, Path]:  # fmt: skip
    """Prepare the three MUSAN data dirs.

    Args:
        root: MUSAN root.
        out_dir: parent of the data dirs.
        prefix: data-dir name prefix (``<prefix>_music`` ...).
        use_vocals: keep music with vocals.
        num_threads: threads for the audio checks.
        log: progress printer.

    Returns:
        part -> data dir path.

    Raises:
        CorpusError: bad layout, annotations or audio (named by path and line).
    """
    root = Path(root)
    found = {part: scan_part(root, part, use_vocals, log) for part in PARTS}
    for part, files in found.items():
        if not files:
            raise CorpusError(f"{root}/{part}: no recordings")
    durs = check_audio([p for files in found.values() for p in files.values()], num_threads)
    return {
        part: write_data_dir(
            Path(out_dir) / f"{prefix}_{part}",
            build_tables(files, {u: u for u in files}, durs), log=log,
        )  # fmt: skip
        for part, files in found.items()
    }
