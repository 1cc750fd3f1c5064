"""Subsets: Kaldi's ``subset_data_dir.sh`` (first/last/shortest/random N, lists of
utterances or speakers, N per speaker, whole speakers up to N utterances).

Example:
    >>> from Process_Data.data_dir import DataDir
    >>> dd = DataDir({"utt2spk": {"a-1": "a", "a-2": "a", "b-1": "b"},
    ...               "utt2dur": {"a-1": "3.0", "a-2": "1.0", "b-1": "2.0"}})
    >>> select_utts(dd, "data/x", shortest=2), select_utts(dd, "data/x", per_spk=1)
    (['a-2', 'b-1'], ['a-1', 'b-1'])
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Dict, List, Optional

from Process_Data.data_dir import (
    DataDir,
    DataDirError,
    PathLike,
    kaldi_sort_key,
    utt2spk_to_spk2utt,
)
from Process_Data.data_ops.lines import numbered_lines
from Process_Data.data_ops.staging import check_distinct, load_valid, save_checked, staged_dir


def _durations(dd: DataDir, data: Path) -> Dict[str, float]:
    if "utt2num_frames" in dd.tables:
        return {u: float(v) for u, v in dd.tables["utt2num_frames"].items()}
    if "utt2dur" in dd.tables:
        return {u: float(v) for u, v in dd.tables["utt2dur"].items()}
    raise DataDirError(
        f"{data}: --shortest needs utt2dur or utt2num_frames (utils/data/get_utt2dur.sh makes it)"
    )


def select_utts(
    dd: DataDir,
    data: PathLike,
    utt_list: Optional[PathLike] = None,
    spk_list: Optional[PathLike] = None,
    first: Optional[int] = None,
    last: Optional[int] = None,
    shortest: Optional[int] = None,
    per_spk: Optional[int] = None,
    speakers: Optional[int] = None,
    random_n: Optional[int] = None,
    seed: int = 0,
) -> List[str]:
    """The utterances a subset keeps (exactly one selection argument must be given).

    Args:
        dd: the source data dir.
        data: its path (for messages).
        utt_list: file of utterance ids (first field); unknown ids are an error.
        spk_list: file of speaker ids (first field); all their utterances are kept.
        first / last: the first / last N utterances in sorted order.
        shortest: the N shortest (utt2num_frames, else utt2dur; ties by id).
        per_spk: the first N utterances of every speaker (all of a speaker with fewer).
        speakers: whole speakers, in a seeded random order, until N utterances are reached.
        random_n: N utterances drawn at random with ``seed``.
        seed: random seed for ``random_n`` and ``speakers``.

    Returns:
        The selected utterance ids in C order.
    """
    chosen = [
        k
        for k, v in dict(
            utt_list=utt_list, spk_list=spk_list, first=first, last=last, shortest=shortest,
            per_spk=per_spk, speakers=speakers, random=random_n,
        ).items()
        if v is not None
    ]
    if len(chosen) != 1:
        raise DataDirError(f"subset: give exactly one selection, got {chosen or 'none'}")
    utts = dd.utts
    n_utts = len(utts)
    counted = {"first": first, "last": last, "shortest": shortest, "random": random_n}
    n = counted.get(chosen[0])
    if n is not None and not 0 < n <= n_utts:
        raise DataDirError(
            f"subset: cannot select {n} utterance(s) from {data}, which has {n_utts}"
        )
    rng = random.Random(seed)
    if utt_list is not None:
        keep = []
        for lineno, line in numbered_lines(str(utt_list)):
            fields = line.split()
            if not fields:
                raise DataDirError(f"{utt_list}:{lineno}: empty line")
            if fields[0] not in dd.utt2spk:
                raise DataDirError(f"{utt_list}:{lineno}: utterance '{fields[0]}' is not in {data}")
            keep.append(fields[0])
    elif spk_list is not None:
        spk2utt = utt2spk_to_spk2utt(dd.utt2spk)
        keep = []
        for lineno, line in numbered_lines(str(spk_list)):
            fields = line.split()
            if not fields:
                raise DataDirError(f"{spk_list}:{lineno}: empty line")
            if fields[0] not in spk2utt:
                raise DataDirError(f"{spk_list}:{lineno}: speaker '{fields[0]}' is not in {data}")
            keep.extend(spk2utt[fields[0]])
    elif first is not None:
        keep = utts[:first]
    elif last is not None:
        keep = utts[n_utts - last :]
    elif shortest is not None:
        dur = _durations(dd, Path(data))
        keep = sorted(utts, key=lambda u: (dur[u], kaldi_sort_key(u)))[:shortest]
    elif per_spk is not None:
        if per_spk < 1:
            raise DataDirError(f"subset: --per-spk needs N >= 1, got {per_spk}")
        keep = [u for us in utt2spk_to_spk2utt(dd.utt2spk).values() for u in us[:per_spk]]
    elif speakers is not None:
        if speakers < 1:
            raise DataDirError(f"subset: --speakers needs N >= 1, got {speakers}")
        spk2utt = utt2spk_to_spk2utt(dd.utt2spk)
        order = list(spk2utt)
        rng.shuffle(order)
        keep = []
        for spk in order:
            if len(keep) >= speakers:
                break
            keep.extend(spk2utt[spk])
    else:
        keep = rng.sample(utts, random_n)
    return sorted(set(keep), key=kaldi_sort_key)


def subset_data_dir(src: PathLike, dest: PathLike, **selection) -> DataDir:
    """Kaldi's ``subset_data_dir.sh``: copy the selected utterances of ``src`` to ``dest``.

    ``selection`` is passed to :func:`select_utts` (``first=10``, ``utt_list=path``, ...).
    Every table follows the selection; ``dest`` is replaced atomically.

    Example:
        >>> # subset_data_dir("data/train", "data/train_1k", shortest=1000)
    """
    src, dest = Path(src), Path(dest)
    check_distinct(src, dest)
    dd = load_valid(src)
    keep = select_utts(dd, src, **selection)
    with staged_dir(dest) as tmp:
        return save_checked(dd.subset(keep), tmp, src=src)

