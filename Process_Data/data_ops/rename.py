"""Copying with new ids: Kaldi's ``copy_data_dir.sh`` and the id mapping it shares with
speed perturbation (:func:`rename_tables`).

Example:
    >>> from Process_Data.data_dir import DataDir
    >>> dd = DataDir({"utt2spk": {"a-1": "a"}, "utt2dur": {"a-1": "1.5"}})
    >>> out = rename_tables(dd, lambda u: "x-" + u, lambda s: "x-" + s, lambda r: r)
    >>> dict(out.tables["utt2spk"]), dict(out.tables["utt2dur"])
    ({'x-a-1': 'x-a'}, {'x-a-1': '1.5'})
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Callable, Dict

from Process_Data.data_dir import (
    RECO_FILES,
    SPK_FILES,
    DataDir,
    DataDirError,
    PathLike,
)
from Process_Data.data_ops.staging import check_distinct, load_valid, save_checked, staged_dir


def copy_data_dir(
    src: PathLike,
    dest: PathLike,
    utt_prefix: str = "",
    spk_prefix: str = "",
    utt_suffix: str = "",
    spk_suffix: str = "",
) -> DataDir:
    """Kaldi's ``copy_data_dir.sh``: copy ``src`` to ``dest`` renaming utterances and speakers.

    New utterance id = ``utt_prefix + utt + utt_suffix``, new speaker id = ``spk_prefix +
    spk + spk_suffix``; every table is re-keyed (recording ids stay when there are
    segments; without segments the recordings are the utterances and follow them).

    Raises:
        DataDirError: an invalid source, or options under which a speaker id would no longer
        be a prefix of its utterance ids (named with the first example), before anything is
        written.

    Example:
        >>> # copy_data_dir("data/train", "data/train_sp1.1", utt_prefix="sp1.1-",
        >>> #               spk_prefix="sp1.1-")
    """
    src, dest = Path(src), Path(dest)
    check_distinct(src, dest)
    dd = load_valid(src)

    def utt_map(u: str) -> str:
        return f"{utt_prefix}{u}{utt_suffix}"

    def spk_map(s: str) -> str:
        return f"{spk_prefix}{s}{spk_suffix}"

    for utt, spk in dd.utt2spk.items():
        if not utt_map(utt).startswith(spk_map(spk)):
            raise DataDirError(
                f"copy_data_dir: with these prefixes/suffixes speaker '{spk_map(spk)}' would not "
                f"be a prefix of utterance '{utt_map(utt)}' (from {src}/utt2spk '{utt} {spk}'); "
                "use the same --utt-prefix and --spk-prefix, and suffixes only on utterances"
            )
    out = rename_tables(dd, utt_map, spk_map, lambda r: r)
    with staged_dir(dest) as tmp:
        return save_checked(out, tmp, src=src)


def rename_tables(
    dd: DataDir,
    utt_map: Callable[[str], str],
    spk_map: Callable[[str], str],
    reco_map: Callable[[str], str],
) -> DataDir:
    """A copy of ``dd`` with utterance, speaker and recording ids mapped.

    Without segments the recordings are the utterances, so ``utt_map`` renames wav.scp and
    the recording tables.
    """
    has_segments = "segments" in dd.tables
    rmap = reco_map if has_segments else utt_map
    tables: Dict[str, OrderedDict] = {}
    for name, table in dd.tables.items():
        if name == "spk2utt":
            continue
        if name == "utt2spk":
            tables[name] = OrderedDict((utt_map(u), spk_map(s)) for u, s in table.items())
        elif name == "segments":
            tables[name] = OrderedDict(
                (utt_map(u), [rmap(v[0])] + list(v[1:])) for u, v in table.items()
            )
        elif name == "wav.scp" or name in RECO_FILES:
            tables[name] = OrderedDict((rmap(k), v) for k, v in table.items())
        elif name in SPK_FILES:
            tables[name] = OrderedDict((spk_map(k), v) for k, v in table.items())
        else:
            tables[name] = OrderedDict((utt_map(k), v) for k, v in table.items())
    return DataDir(tables)

