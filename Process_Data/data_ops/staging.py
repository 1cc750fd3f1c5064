"""Writing whole data dirs safely: a staging folder that replaces the target on success.

Every data-dir operation builds its output in a temporary folder next to the destination,
saves and validates it there (:func:`save_checked`), and renames it into place
(:func:`staged_dir`), so bad input or an interruption leaves nothing half-written.

Example:
    >>> import tempfile, pathlib
    >>> dest = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with staged_dir(dest) as tmp:
    ...     _ = (tmp / "x").write_text("1")
    >>> sorted(p.name for p in dest.iterdir())
    ['x']
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Sequence

from Process_Data.data_dir import (
    DataDir,
    DataDirError,
    PathLike,
    validate_data_dir,
)

#: Plain files copied unchanged along with the tables (Kaldi keeps them too).
CARRIED_FILES = ("frame_shift",)



@contextlib.contextmanager
def staged_dir(dest: PathLike) -> Iterator[Path]:
    """A temporary directory next to ``dest`` that replaces ``dest`` on success.

    On an exception the temporary directory is removed and ``dest`` is left as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        yield tmp
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
            os.replace(dest, old / "d")
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_valid(path: PathLike, check_audio: bool = False) -> DataDir:
    """Validate ``path`` (audio and features optional) and return it loaded."""
    return validate_data_dir(path, no_feats=True, no_wav=True, check_audio=check_audio)


def carry_files(src: Path, dest: Path) -> None:
    """Copy the per-set files (``CARRIED_FILES``) and the feature options in ``conf/``."""
    for name in CARRIED_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)
    carry_conf([src], dest)


def carry_conf(sources: Sequence[Path], dest: Path) -> bool:
    """Copy ``conf/`` (the feature and VAD options the feature steps record, which the egs'
    front end reads) when every source has one with the same files and contents; a mix of
    feature options is not carried. Returns whether it was copied."""
    confs = [Path(s) / "conf" for s in sources]
    if not all(c.is_dir() for c in confs):
        return False
    files = [{p.name: p.read_bytes() for p in sorted(c.iterdir()) if p.is_file()} for c in confs]
    if not files[0] or any(f != files[0] for f in files[1:]):
        return False
    (dest / "conf").mkdir(exist_ok=True)
    for name, data in files[0].items():
        (dest / "conf" / name).write_bytes(data)
    return True


def save_checked(dd: DataDir, dest: Path, src: Optional[Path] = None) -> DataDir:
    """Save ``dd`` into the staging dir ``dest`` and validate the result."""
    dd.tables.pop("spk2utt", None)
    if not dd.utt2spk:
        raise DataDirError(f"{dest}: the result would have no utterances")
    dd.save(dest)
    if src is not None:
        carry_files(src, dest)
    return load_valid(dest)


def check_distinct(src: Path, dest: Path) -> None:
    if dest.exists() and src.exists() and os.path.samefile(src, dest):
        raise DataDirError(f"{dest}: destination is the source data dir")

