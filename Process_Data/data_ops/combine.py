"""Combining: Kaldi's ``combine_data.sh``, the union of several data dirs.

Example:
    >>> import tempfile, pathlib
    >>> from Process_Data.data_dir import DataDir
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> DataDir({"utt2spk": {"a-1": "a"}, "utt2dur": {"a-1": "1"}}).save(root / "x")
    >>> DataDir({"utt2spk": {"b-1": "b"}}).save(root / "y")
    >>> dd, notes = combine_data_dirs(root / "xy", [root / "x", root / "y"])
    >>> dd.utts, notes
    (['a-1', 'b-1'], ['utt2dur is not in every source (missing in .../y); left out'])
"""

from __future__ import annotations

import shutil
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from Process_Data.data_dir import (
    MULTI_VALUE_FILES,
    DataDir,
    DataDirError,
    PathLike,
    read_kv,
    write_kv,
)
from Process_Data.data_ops.staging import (
    carry_conf,
    carry_files,
    check_distinct,
    load_valid,
    save_checked,
    staged_dir,
)


def combine_data_dirs(
    dest: PathLike, srcs: Sequence[PathLike], extra_files: Sequence[str] = ()
) -> Tuple[DataDir, List[str]]:
    """Kaldi's ``combine_data.sh``: the union of ``srcs`` in ``dest``.

    A table present in only some sources is left out (with a note), except that sources
    without ``segments`` get whole-recording segments (``utt utt 0 -1``) when others have
    segments. Speaker and recording tables may repeat a key only with the same value.

    Args:
        dest: output data dir (replaced atomically).
        srcs: source data dirs, each validated first.
        extra_files: other per-utterance tables to combine; each must exist in every source.

    Returns:
        (the combined DataDir, notes about tables left out).

    Raises:
        DataDirError: an invalid source, an utterance id in two sources, or a speaker /
        recording key with two different values.
    """
    if not srcs:
        raise DataDirError("combine: no source data dirs")
    paths = [Path(s) for s in srcs]
    dest = Path(dest)
    for p in paths:
        check_distinct(p, dest)
    dirs = [load_valid(p) for p in paths]
    for name in extra_files:
        for p in paths:
            if not (p / name).is_file():
                raise DataDirError(f"{p}/{name}: missing (named by --extra-files)")
    notes: List[str] = []
    any_segments = any("segments" in d.tables for d in dirs)
    if any_segments:
        for d in dirs:
            if "segments" not in d.tables and "wav.scp" in d.tables:
                d.tables["segments"] = OrderedDict((u, [u, "0", "-1"]) for u in d.utt2spk)
    names = sorted({n for d in dirs for n in d.tables} - {"spk2utt"})
    owner: Dict[str, Path] = {}
    for p, d in zip(paths, dirs):
        for utt in d.utt2spk:
            if utt in owner:
                raise DataDirError(
                    f"{p}/utt2spk: utterance '{utt}' is also in {owner[utt]}/utt2spk; "
                    "utterance ids must be unique across sources (utils/copy_data_dir.sh "
                    "--utt-prefix can rename them)"
                )
            owner[utt] = p
    tables: Dict[str, OrderedDict] = {}
    for name in names:
        missing = [str(p) for p, d in zip(paths, dirs) if name not in d.tables]
        if missing:
            notes.append(f"{name} is not in every source (missing in {', '.join(missing)}); left out")
            continue
        merged: OrderedDict = OrderedDict()
        for p, d in zip(paths, dirs):
            for key, value in d.tables[name].items():
                if key in merged and merged[key] != value:
                    raise DataDirError(
                        f"{p}/{name}: '{key}' has a different value than in an earlier source"
                    )
                merged[key] = value
        tables[name] = merged
    extra: Dict[str, OrderedDict] = {}
    for name in extra_files:
        merged = OrderedDict()
        for p in paths:
            for key, value in read_kv(p / name, multi=name in MULTI_VALUE_FILES).items():
                if key in merged:
                    raise DataDirError(f"{p}/{name}: key '{key}' is also in an earlier source")
                merged[key] = value
        extra[name] = merged
    with staged_dir(dest) as tmp:
        out = save_checked(DataDir(tables), tmp)
        for name, table in extra.items():
            write_kv(tmp / name, table)
        carry_files(paths[0], tmp)
        if not carry_conf(paths, tmp) and (tmp / "conf").is_dir():
            shutil.rmtree(tmp / "conf")  # the sources' feature options differ
    return out, notes

