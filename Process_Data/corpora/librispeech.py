"""LibriSpeech subset (``<subset>/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac``) -> data dir.

Utterance ids are LibriSpeech's own (``<spk>-<chapter>-<utt>``, the VoxCeleb pattern with
the chapter as session); spk2gender comes from ``SPEAKERS.TXT`` when it is found next to or
above the subset folder.

Example (shell): ``python -m Process_Data.bin.make_librispeech /corpora/LibriSpeech/dev-clean data/librispeech_dev_clean``
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

from Process_Data.corpora.common import (
    CorpusError,
    build_tables,
    check_audio,
    scan_vox_layout,
    write_data_dir,
)


def read_speakers_txt(path) -> Dict[str, str]:
    """``SPEAKERS.TXT`` (``ID | SEX | SUBSET | MINUTES | NAME``, ``;`` comments) -> gender.

    Raises:
        CorpusError: a line without at least two ``|`` fields (names ``path:line``).
    """
    out = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith(";"):
                continue
            fields = [x.strip() for x in line.split("|")]
            if len(fields) < 2 or fields[1].upper() not in ("M", "F"):
                raise CorpusError(f"{path}:{lineno}: expected 'ID | SEX | ...', got {line!r}")
            out[fields[0]] = fields[1].lower()
    return out


def prepare_librispeech(
    subset_dir, out_dir, speakers_txt: Optional[str] = None, num_threads: int = 8, log=print
) -> Path:
    """Prepare one LibriSpeech subset.

    Args:
        subset_dir: e.g. ``LibriSpeech/train-clean-100``.
        out_dir: the data dir to write.
        speakers_txt: ``SPEAKERS.TXT`` (default: looked up in the subset's parent).
        num_threads: threads for the audio checks.
        log: progress printer.

    Returns:
        the data dir path.

    Raises:
        CorpusError: bad layout (a file not named ``<spk>-<chapter>-<utt>``) or bad audio.
    """
    subset_dir = Path(subset_dir)
    files = scan_vox_layout(subset_dir, (".flac", ".wav"))
    utt2path, utt2spk = {}, {}
    for rel, path in files.items():
        spk, chapter, name = rel.split("/")
        utt = name.rsplit(".", 1)[0]
        if not utt.startswith(f"{spk}-{chapter}-"):
            raise CorpusError(f"{path}: expected a name <spk>-<chapter>-<utt> ({spk}-{chapter}-*)")
        utt2path[utt], utt2spk[utt] = path, spk
    log(f"{subset_dir}: {len(files)} audio files")
    durs = check_audio(utt2path.values(), num_threads)
    if speakers_txt is None:
        cand = [subset_dir.parent / "SPEAKERS.TXT", subset_dir / "SPEAKERS.TXT"]
        speakers_txt = next((str(c) for c in cand if c.is_file()), None)
    genders = read_speakers_txt(speakers_txt) if speakers_txt else {}
    return write_data_dir(out_dir, build_tables(utt2path, utt2spk, durs, genders), log=log)
