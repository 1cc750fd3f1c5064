"""Operations on whole Kaldi data dirs: filter, split, subset, combine, copy, durations, speed.

These are the logic behind ``utils/*.sh`` and ``utils/*.pl`` (Kaldi command lines and
semantics); the scripts only parse options and call ``python -m Process_Data.bin.data_dir``.
Every writer builds its output in a temporary directory next to the destination, validates
it, and renames it into place, so bad input or an interruption leaves nothing half-written.

Importing this module needs only the standard library (numpy, soundfile and kaldiio are
imported inside the functions that read audio or archives), so that ``utils/filter_scp.pl``
and ``utils/split_scp.pl`` run on a bare system Python.

Example:
    >>> split_counts(10, 3)
    [4, 3, 3]
    >>> num_frames_from_duration(19.89)
    1987
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import struct
import sys
import tempfile
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import (
    IO,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from Process_Data.data_dir import (
    MULTI_VALUE_FILES,
    RECO_FILES,
    SPK_FILES,
    UTT_FILES,
    DataDir,
    DataDirError,
    kaldi_sort_key,
    read_kv,
    utt2spk_to_spk2utt,
    validate_data_dir,
    write_kv,
)

PathLike = Union[str, "os.PathLike[str]"]

#: Plain files copied unchanged along with the tables (Kaldi keeps them too).
CARRIED_FILES = ("frame_shift",)
#: Tables that no longer describe the audio after speed perturbation (Kaldi drops them).
PERTURB_DROPPED = ("feats.scp", "vad.scp", "cmvn.scp", "utt2num_frames")


# --------------------------------------------------------------------------------------------
# Line-level tools: filter_scp.pl, split_scp.pl, utt2spk_to_spk2utt.pl, spk2utt_to_utt2spk.pl
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _open_in(path: str) -> Iterator[IO[str]]:
    """Open ``path`` for reading, ``-`` meaning stdin."""
    if path == "-":
        yield sys.stdin
    else:
        try:
            f = open(path, encoding="utf-8")
        except OSError as e:
            raise DataDirError(f"{path}: cannot open ({e.strerror})") from None
        with f:
            yield f


def _numbered_lines(path: str) -> Iterator[Tuple[int, str]]:
    """(line number, line without newline) of a file or stdin, as UTF-8 text."""
    with _open_in(path) as f:
        try:
            for lineno, line in enumerate(f, 1):
                yield lineno, line.rstrip("\n")
        except UnicodeDecodeError as e:
            raise DataDirError(f"{path}: not UTF-8 text ({e})") from None


def read_id_list(path: str) -> set:
    """The first field of every line of ``path`` (``-``: stdin) as a set.

    Raises:
        DataDirError: ``path:line`` of an empty line.
    """
    ids = set()
    for lineno, line in _numbered_lines(path):
        fields = line.split()
        if not fields:
            raise DataDirError(f"{path}:{lineno}: empty line")
        ids.add(fields[0])
    return ids


def filter_scp(
    idlist: str, scp: str, out: IO[str], field: int = 1, exclude: bool = False
) -> int:
    """Kaldi's ``filter_scp.pl``: copy the lines of ``scp`` whose ``field`` is in ``idlist``.

    Args:
        idlist: file whose first fields are the ids to keep (``-``: stdin).
        scp: file to filter, order preserved (``-``: stdin).
        out: where the kept lines go.
        field: 1-based field of ``scp`` compared with the ids (negative counts from the end).
        exclude: keep the lines whose field is *not* in ``idlist``.

    Returns:
        The number of lines written.

    Raises:
        DataDirError: ``scp:line`` of a line with fewer than ``|field|`` fields.

    Example:
        >>> import io, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> _ = open(os.path.join(d, "ids"), "w").write("b\\n")
        >>> _ = open(os.path.join(d, "scp"), "w").write("a x\\nb y\\n")
        >>> buf = io.StringIO()
        >>> filter_scp(os.path.join(d, "ids"), os.path.join(d, "scp"), buf)
        1
        >>> buf.getvalue()
        'b y\\n'
    """
    if field == 0:
        raise DataDirError("filter_scp: -f must be a non-zero field number")
    ids = read_id_list(idlist)
    index = field - 1 if field > 0 else field
    n = 0
    for lineno, line in _numbered_lines(scp):
        fields = line.split()
        if len(fields) < abs(field):
            raise DataDirError(f"{scp}:{lineno}: has {len(fields)} field(s), -f {field} needs more")
        if (fields[index] in ids) != exclude:
            out.write(line + "\n")
            n += 1
    return n


def split_counts(n: int, parts: int) -> List[int]:
    """Sizes of ``parts`` consecutive blocks of ``n`` items, as even as possible.

    Example:
        >>> split_counts(7, 3)
        [3, 2, 2]
    """
    base, extra = divmod(n, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _group_bounds(sizes: Sequence[int], parts: int) -> List[int]:
    """Cut points splitting consecutive groups of ``sizes`` into ``parts`` non-empty runs.

    Each cut goes to the group boundary nearest to its ideal share of the total, so the runs
    are balanced by item count while groups (speakers) stay whole.
    """
    total = sum(sizes)
    cum = [0]
    for s in sizes:
        cum.append(cum[-1] + s)
    cuts = [0]
    for k in range(1, parts):
        target = total * k / parts
        lo = cuts[-1] + 1  # at least one group in the previous run
        hi = len(sizes) - (parts - k)  # leave one group for each remaining run
        best = min(range(lo, hi + 1), key=lambda i: (abs(cum[i] - target), i))
        cuts.append(best)
    cuts.append(len(sizes))
    return cuts


def split_lines(
    lines: Sequence[str],
    parts: int,
    utt2spk: Optional[Mapping[str, str]] = None,
    name: str = "scp",
) -> List[List[str]]:
    """Split ``lines`` into ``parts`` consecutive, balanced chunks (Kaldi's split_scp.pl).

    Args:
        lines: table lines (the key is the first field).
        parts: number of chunks.
        utt2spk: when given, all lines of one speaker go to the same chunk; a speaker's lines
            must be contiguous (true for any table sorted by utterance id).
        name: the file name used in error messages.

    Returns:
        ``parts`` lists of lines, in input order.

    Raises:
        DataDirError: fewer lines (or speakers) than parts, a key missing from utt2spk, or a
        speaker whose lines are not contiguous (naming ``name:line``).

    Example:
        >>> split_lines(["a-1 x", "a-2 y", "b-1 z"], 2, {"a-1": "a", "a-2": "a", "b-1": "b"})
        [['a-1 x', 'a-2 y'], ['b-1 z']]
    """
    if parts < 1:
        raise DataDirError(f"split: number of parts must be >= 1, got {parts}")
    if utt2spk is None:
        if len(lines) < parts:
            raise DataDirError(
                f"{name}: cannot split {len(lines)} line(s) into {parts} parts "
                "(Kaldi refuses to write empty splits)"
            )
        out, start = [], 0
        for size in split_counts(len(lines), parts):
            out.append(list(lines[start : start + size]))
            start += size
        return out
    groups: List[List[str]] = []
    seen: Dict[str, int] = {}
    prev = None
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            raise DataDirError(f"{name}:{lineno}: empty line")
        if fields[0] not in utt2spk:
            raise DataDirError(f"{name}:{lineno}: '{fields[0]}' is not in utt2spk")
        spk = utt2spk[fields[0]]
        if spk != prev:
            if spk in seen:
                raise DataDirError(
                    f"{name}:{lineno}: lines of speaker '{spk}' are not contiguous (first run "
                    f"ends before line {seen[spk]}); sort the file by utterance id"
                )
            groups.append([])
            prev = spk
        seen[spk] = lineno
        groups[-1].append(line)
    if len(groups) < parts:
        raise DataDirError(
            f"{name}: cannot split {len(groups)} speaker(s) into {parts} parts; use fewer "
            "jobs or split per utterance (--per-utt)"
        )
    cuts = _group_bounds([len(g) for g in groups], parts)
    return [[line for g in groups[cuts[k] : cuts[k + 1]] for line in g] for k in range(parts)]


def utt2spk_lines_to_spk2utt(path: str) -> List[str]:
    """Kaldi's ``utt2spk_to_spk2utt.pl`` on a file: speakers and utterances in input order.

    Raises:
        DataDirError: ``path:line`` of a line that is not ``utt spk``.
    """
    spk2utt: Dict[str, List[str]] = OrderedDict()
    for lineno, line in _numbered_lines(path):
        fields = line.split()
        if len(fields) != 2:
            raise DataDirError(f"{path}:{lineno}: expected 'utt spk', got '{line}'")
        spk2utt.setdefault(fields[1], []).append(fields[0])
    return [f"{spk} {' '.join(utts)}" for spk, utts in spk2utt.items()]


def spk2utt_lines_to_utt2spk(path: str) -> List[str]:
    """Kaldi's ``spk2utt_to_utt2spk.pl`` on a file: one ``utt spk`` line per utterance.

    Raises:
        DataDirError: ``path:line`` of a speaker without utterances.
    """
    out = []
    for lineno, line in _numbered_lines(path):
        fields = line.split()
        if len(fields) < 2:
            raise DataDirError(f"{path}:{lineno}: expected 'spk utt1 utt2 ...', got '{line}'")
        out.extend(f"{utt} {fields[0]}" for utt in fields[1:])
    return out


# --------------------------------------------------------------------------------------------
# Whole data dirs
# --------------------------------------------------------------------------------------------


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


def _carry_files(src: Path, dest: Path) -> None:
    for name in CARRIED_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)


def _save_checked(dd: DataDir, dest: Path, src: Optional[Path] = None) -> DataDir:
    """Save ``dd`` into the staging dir ``dest`` and validate the result."""
    dd.tables.pop("spk2utt", None)
    if not dd.utt2spk:
        raise DataDirError(f"{dest}: the result would have no utterances")
    dd.save(dest)
    if src is not None:
        _carry_files(src, dest)
    return load_valid(dest)


def split_data_dir(data: PathLike, nj: int, per_utt: bool = False, force: bool = False) -> Path:
    """Kaldi's ``split_data.sh``: ``<data>/split<nj>[utt]/{1..nj}``, each a valid data dir.

    Per speaker by default (all utterances of a speaker in one split, balanced by utterance
    count); ``per_utt`` splits by utterance (speakers may be spread over splits). Every table
    is filtered: wav.scp and reco2dur follow segments, speaker tables follow utt2spk.

    Args:
        data: the data dir (validated first).
        nj: number of splits.
        per_utt: split per utterance; the folder is ``split<nj>utt``.
        force: split even when the existing split is newer than every table of ``data``.

    Returns:
        The split folder.

    Raises:
        DataDirError: invalid data dir, or more splits than speakers (utterances).
    """
    data = Path(data)
    sdir = data / f"split{nj}{'utt' if per_utt else ''}"
    if not force and split_is_current(data, sdir, nj):
        return sdir
    dd = load_valid(data)
    utts = dd.utts
    lines = [f"{u} {dd.utt2spk[u]}" for u in utts]
    chunks = split_lines(lines, nj, None if per_utt else dd.utt2spk, name=str(data / "utt2spk"))
    with staged_dir(sdir) as tmp:
        for k, chunk in enumerate(chunks, 1):
            part = dd.subset(line.split()[0] for line in chunk)
            _save_checked(part, tmp / str(k), src=data)
    return sdir


def split_is_current(data: Path, sdir: Path, nj: int) -> bool:
    """True when every split ``1..nj`` has every table of ``data`` and is newer than it."""
    names = [
        n for n in UTT_FILES + SPK_FILES + RECO_FILES + CARRIED_FILES if (data / n).is_file()
    ]
    if not sdir.is_dir():
        return False
    present = {p.name for p in sdir.iterdir() if p.is_dir()}
    if present != {str(k) for k in range(1, nj + 1)}:
        return False
    for k in range(1, nj + 1):
        for name in names:
            part = sdir / str(k) / name
            if not part.is_file() or part.stat().st_mtime < (data / name).stat().st_mtime:
                return False
    return True


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
        for lineno, line in _numbered_lines(str(utt_list)):
            fields = line.split()
            if not fields:
                raise DataDirError(f"{utt_list}:{lineno}: empty line")
            if fields[0] not in dd.utt2spk:
                raise DataDirError(f"{utt_list}:{lineno}: utterance '{fields[0]}' is not in {data}")
            keep.append(fields[0])
    elif spk_list is not None:
        spk2utt = utt2spk_to_spk2utt(dd.utt2spk)
        keep = []
        for lineno, line in _numbered_lines(str(spk_list)):
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
    _check_distinct(src, dest)
    dd = load_valid(src)
    keep = select_utts(dd, src, **selection)
    with staged_dir(dest) as tmp:
        return _save_checked(dd.subset(keep), tmp, src=src)


def _check_distinct(src: Path, dest: Path) -> None:
    if dest.exists() and src.exists() and os.path.samefile(src, dest):
        raise DataDirError(f"{dest}: destination is the source data dir")


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
        _check_distinct(p, dest)
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
        out = _save_checked(DataDir(tables), tmp)
        for name, table in extra.items():
            write_kv(tmp / name, table)
        _carry_files(paths[0], tmp)
    return out, notes


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
    _check_distinct(src, dest)
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
        return _save_checked(out, tmp, src=src)


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


# --------------------------------------------------------------------------------------------
# Durations and frame counts
# --------------------------------------------------------------------------------------------


def audio_duration(entry: str) -> float:
    """Duration in seconds of one wav.scp value (header only for plain soundfile paths)."""
    from Process_Data.audio import FFMPEG_EXTENSIONS, AudioError, read_audio

    entry = entry.strip()
    if not entry.endswith("|") and Path(entry).suffix.lower() not in FFMPEG_EXTENSIONS:
        import soundfile as sf

        if not os.path.exists(entry):
            raise AudioError(f"audio file not found: {entry}")
        try:
            info = sf.info(entry)
        except Exception as e:  # soundfile raises its own error types
            raise AudioError(f"{entry}: could not read audio header ({e})") from None
        return info.frames / info.samplerate
    wav, sr = read_audio(entry, sample_rate=None)
    return len(wav) / sr


def _format_dur(x: float) -> str:
    """Seconds with up to 6 decimals (finer than one sample at 16 kHz), no trailing zeros."""
    return f"{x:.6f}".rstrip("0").rstrip(".")


def recording_durations(data: PathLike, nj: int = 1) -> Dict[str, float]:
    """reco -> duration (s) of every wav.scp entry, read ``nj`` at a time.

    Raises:
        DataDirError: naming ``wav.scp:line`` of an entry that cannot be read.
    """
    from Process_Data.audio import AudioError

    data = Path(data)
    wav_scp = read_kv(data / "wav.scp", check_sorted=True)
    items = list(wav_scp.items())

    def one(i: int) -> float:
        reco, entry = items[i]
        try:
            return audio_duration(entry)
        except AudioError as e:
            raise DataDirError(f"{data}/wav.scp:{i + 1}: recording '{reco}': {e}") from None

    with ThreadPoolExecutor(max_workers=max(1, nj)) as pool:
        durs = list(pool.map(one, range(len(items))))
    return OrderedDict((reco, d) for (reco, _), d in zip(items, durs))


def read_frame_shift(data: PathLike, frame_shift: Optional[float] = None) -> float:
    """``frame_shift`` if given, else ``<data>/frame_shift`` when present, else 0.01 s."""
    if frame_shift is not None:
        return float(frame_shift)
    path = Path(data) / "frame_shift"
    if path.is_file():
        text = path.read_text().strip()
        try:
            return float(text)
        except ValueError:
            raise DataDirError(f"{path}:1: '{text}' is not a number") from None
    return 0.01


def compute_utt2dur(
    data: PathLike, nj: int = 1, frame_shift: Optional[float] = None
) -> Dict[str, float]:
    """Kaldi's ``get_utt2dur.sh``: write ``<data>/utt2dur`` and return it.

    Source, in Kaldi's order: ``segments`` (end - start; an end of -1 means the end of the
    recording, read from the audio); else ``wav.scp`` (soundfile header for plain paths,
    decoding for pipes and ffmpeg formats); else ``feats.scp`` (frames x frame shift).

    Raises:
        DataDirError: invalid data dir or unreadable audio (naming file and line).
    """
    data = Path(data)
    dd = load_valid(data)
    utt2dur: Dict[str, float] = OrderedDict()
    if "segments" in dd.tables:
        segs = dd.tables["segments"]
        needs_reco = any(float(v[2]) == -1 for v in segs.values())
        reco_dur = recording_durations(data, nj) if needs_reco else {}
        for utt, (reco, start, end) in segs.items():
            stop = reco_dur[reco] if float(end) == -1 else float(end)
            utt2dur[utt] = max(0.0, stop - float(start))
    elif "wav.scp" in dd.tables:
        utt2dur.update(recording_durations(data, nj))
    elif "feats.scp" in dd.tables:
        shift = read_frame_shift(data, frame_shift)
        for utt, n in feats_num_frames(data / "feats.scp").items():
            utt2dur[utt] = n * shift
    else:
        raise DataDirError(f"{data}: needs segments + wav.scp, wav.scp or feats.scp for utt2dur")
    write_kv(data / "utt2dur", {u: _format_dur(d) for u, d in utt2dur.items()})
    return utt2dur


def compute_reco2dur(data: PathLike, nj: int = 1) -> Dict[str, float]:
    """Kaldi's ``get_reco2dur.sh``: write ``<data>/reco2dur`` (durations of wav.scp entries)."""
    data = Path(data)
    load_valid(data)
    if not (data / "wav.scp").is_file():
        raise DataDirError(f"{data}/wav.scp: missing (reco2dur needs the audio)")
    reco2dur = recording_durations(data, nj)
    write_kv(data / "reco2dur", {r: _format_dur(d) for r, d in reco2dur.items()})
    return reco2dur


def num_frames_from_duration(
    duration: float, frame_shift: float = 0.01, frame_length: float = 0.025
) -> int:
    """Frames Kaldi's feature extraction gives for ``duration`` seconds (``--snip-edges=true``).

    ``1 + (samples - window) // shift``, computed on a 16 kHz grid so that decimal durations
    such as 19.89 s come out exact; 0 when shorter than one window.

    Example:
        >>> num_frames_from_duration(6.95), num_frames_from_duration(0.02)
        (693, 0)
    """
    rate = 16000
    n = round(duration * rate)
    window = round(frame_length * rate)
    shift = round(frame_shift * rate)
    if shift <= 0 or window <= 0:
        raise DataDirError(f"frame shift/length must be > 0, got {frame_shift}/{frame_length}")
    return 0 if n < window else 1 + (n - window) // shift


_ARK_REF = re.compile(r"^(?P<path>.+):(?P<offset>\d+)$")


def matrix_rows(ark_ref: str) -> int:
    """Number of rows of the Kaldi matrix at ``ark_ref`` (``path.ark:offset``).

    Reads only the binary header for float/double (``FM``/``DM``) and compressed (``CM``,
    ``CM2``, ``CM3``) matrices; anything else (text archives, pipes) is loaded with kaldiio.
    """
    m = _ARK_REF.match(ark_ref.strip())
    if m and os.path.isfile(m.group("path")):
        with open(m.group("path"), "rb") as f:
            f.seek(int(m.group("offset")))
            head = f.read(2)
            if head == b"\0B":
                token = b""
                while True:
                    c = f.read(1)
                    if c in (b" ", b""):
                        break
                    token += c
                if token in (b"FM", b"DM"):
                    size, rows = struct.unpack("<bi", f.read(5))
                    if size == 4:
                        return rows
                elif token in (b"CM", b"CM2", b"CM3"):
                    _, _, rows, _ = struct.unpack("<ffii", f.read(16))
                    return rows
    import kaldiio

    return int(kaldiio.load_mat(ark_ref).shape[0])


def feats_num_frames(feats_scp: PathLike) -> Dict[str, int]:
    """utt -> number of frames of every matrix in ``feats_scp``.

    Raises:
        DataDirError: naming ``feats.scp:line`` of an entry that cannot be read.
    """
    out: Dict[str, int] = OrderedDict()
    for lineno, (utt, ref) in enumerate(read_kv(feats_scp).items(), 1):
        try:
            out[utt] = matrix_rows(ref)
        except Exception as e:  # kaldiio raises assorted errors on bad archives
            raise DataDirError(f"{feats_scp}:{lineno}: cannot read matrix of '{utt}' ({e})") from None
    return out


def compute_utt2num_frames(
    data: PathLike,
    frame_shift: Optional[float] = None,
    frame_length: float = 0.025,
    nj: int = 1,
) -> Dict[str, int]:
    """Write ``<data>/utt2num_frames``: from feats.scp when present, else from utt2dur.

    utt2dur is computed first when it is missing. Frame counts from durations follow
    :func:`num_frames_from_duration`, with the frame shift from ``frame_shift``,
    ``<data>/frame_shift`` or 0.01 s.

    Returns:
        utt -> frames.
    """
    data = Path(data)
    dd = load_valid(data)
    if "feats.scp" in dd.tables:
        frames = feats_num_frames(data / "feats.scp")
    else:
        shift = read_frame_shift(data, frame_shift)
        if "utt2dur" in dd.tables:
            utt2dur = {u: float(v) for u, v in dd.tables["utt2dur"].items()}
        else:
            utt2dur = compute_utt2dur(data, nj=nj)
        frames = OrderedDict(
            (u, num_frames_from_duration(d, shift, frame_length)) for u, d in utt2dur.items()
        )
    write_kv(data / "utt2num_frames", {u: str(n) for u, n in frames.items()})
    return frames


# --------------------------------------------------------------------------------------------
# Speed perturbation
# --------------------------------------------------------------------------------------------


def parse_speed_factor(text: str) -> float:
    """The float value of a speed factor given on the command line (must be > 0)."""
    try:
        factor = float(text)
    except ValueError:
        raise DataDirError(f"speed factor must be a number, got '{text}'") from None
    if not factor > 0:
        raise DataDirError(f"speed factor must be > 0, got '{text}'")
    return factor


def speed_perturb_entry(entry: str, factor: str) -> str:
    """The wav.scp value that plays ``entry`` at speed ``factor`` (a pipe).

    Example:
        >>> speed_perturb_entry("a.wav", "0.9")
        'python -m Process_Data.bin.speed_perturb 0.9 a.wav |'
        >>> speed_perturb_entry("sox b.flac -t wav - |", "1.1")
        'sox b.flac -t wav - | python -m Process_Data.bin.speed_perturb 1.1 - |'
    """
    import shlex

    entry = entry.strip()
    tool = f"python -m Process_Data.bin.speed_perturb {factor}"
    if entry.endswith("|"):
        return f"{entry} {tool} - |"
    return f"{tool} {shlex.quote(entry)} |"


def perturb_data_dir_speed(factor: str, src: PathLike, dest: PathLike) -> DataDir:
    """Kaldi's ``perturb_data_dir_speed.sh``: a copy of ``src`` whose audio is ``factor`` x faster.

    Utterance, speaker and recording ids get the prefix ``sp<factor>-``; wav.scp entries
    become pipes through ``python -m Process_Data.bin.speed_perturb``; utt2dur, reco2dur and
    segment times are divided by the factor; utt2uniq maps each new utterance to its source
    (kept if present). feats.scp, vad.scp, cmvn.scp and utt2num_frames are dropped.

    Raises:
        DataDirError: a bad factor or an invalid source (audio files must exist).
    """
    value = parse_speed_factor(factor)
    src, dest = Path(src), Path(dest)
    _check_distinct(src, dest)
    dd = validate_data_dir(src, no_feats=True, no_wav=False, check_audio=True)
    prefix = f"sp{factor}-"
    for name in PERTURB_DROPPED:
        dd.tables.pop(name, None)
    if "utt2uniq" not in dd.tables:
        dd.tables["utt2uniq"] = OrderedDict((u, u) for u in dd.utt2spk)

    def scale(x: str) -> str:
        v = float(x)
        return x if v == -1 else _format_dur(v / value)

    dd.tables["wav.scp"] = OrderedDict(
        (k, speed_perturb_entry(v, factor)) for k, v in dd.tables["wav.scp"].items()
    )
    for name in ("utt2dur", "reco2dur"):
        if name in dd.tables:
            dd.tables[name] = OrderedDict((k, scale(v)) for k, v in dd.tables[name].items())
    if "segments" in dd.tables:
        dd.tables["segments"] = OrderedDict(
            (u, [r, scale(s), scale(e)]) for u, (r, s, e) in dd.tables["segments"].items()
        )

    def add(x: str) -> str:
        return prefix + x

    out = rename_tables(dd, add, add, add)
    with staged_dir(dest) as tmp:
        return _save_checked(out, tmp, src=src)

