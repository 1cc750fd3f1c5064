"""Kaldi data directories: read, write, validate and fix them.

A data dir is a folder of small text tables keyed by utterance (``utt2spk``, ``wav.scp``,
``feats.scp``, ...), by speaker (``spk2utt``, ``spk2gender``) or by recording
(``reco2dur``). Every table is ``key value...`` per line, sorted with ``LC_ALL=C`` and with
unique keys; speaker ids are prefixes of utterance ids so that both sort orders agree.

Everything written here goes to a temporary name first and is renamed into place, so an
interrupted writer never leaves a half-written table behind.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_kv(d / "utt2spk", {"spk1-b": "spk1", "spk1-a": "spk1"})
    >>> (d / "utt2spk").read_text()
    'spk1-a spk1\\nspk1-b spk1\\n'
    >>> dict(read_kv(d / "utt2spk"))
    {'spk1-a': 'spk1', 'spk1-b': 'spk1'}
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]

#: Tables keyed by utterance id (wav.scp is keyed by recording when segments exists).
UTT_FILES = (
    "utt2spk",
    "wav.scp",
    "segments",
    "text",
    "utt2dur",
    "utt2num_frames",
    "feats.scp",
    "vad.scp",
    "utt2lang",
    "utt2uniq",
    "utt2warp",
    "utt2domain",
)
#: Tables keyed by speaker id.
SPK_FILES = ("spk2utt", "spk2gender", "cmvn.scp")
#: Tables keyed by recording id.
RECO_FILES = ("reco2dur", "reco2file_and_channel")
#: Tables whose value is a list (split on whitespace).
MULTI_VALUE_FILES = ("spk2utt", "segments", "text")


class DataDirError(ValueError):
    """A data dir (or one of its tables) is malformed; the message names file and line."""


def format_seconds(seconds: float) -> str:
    """A duration as ``utt2dur``/``reco2dur``/``segments`` hold it: the recipe's one formatter.

    Up to 6 decimals (finer than one sample at 16 kHz), no trailing zeros.

    Example:
        >>> format_seconds(2.5), format_seconds(1 / 3), format_seconds(3.0)
        ('2.5', '0.333333', '3')
    """
    return f"{seconds:.6f}".rstrip("0").rstrip(".")


def kaldi_sort_key(key: str) -> bytes:
    """Sort key giving ``LC_ALL=C sort`` order (byte order of the UTF-8 encoding)."""
    return key.encode("utf-8")


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w") -> Iterator:
    """Open a temporary file next to ``path``; rename it onto ``path`` only on success.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "x")
        >>> with atomic_write(p) as f:
        ...     _ = f.write("hello\\n")
        >>> open(p).read()
        'hello\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_savez(path: PathLike, arrays: Mapping[str, object], npz_suffix: bool = False) -> Path:
    """``np.savez`` of ``arrays`` under a temporary name, renamed onto ``path`` on success;
    returns the path written.

    ``npz_suffix``: add ``.npz`` when the name lacks it, as ``np.savez(path)`` itself does
    (for command-line options that used to hand the name to ``np.savez``).

    Example:
        >>> import tempfile, os, numpy as np
        >>> d = tempfile.mkdtemp()
        >>> atomic_savez(os.path.join(d, "cal"), {"w": np.ones(2)}, npz_suffix=True).name
        'cal.npz'
        >>> np.load(os.path.join(d, "cal.npz"))["w"].tolist(), sorted(os.listdir(d))
        ([1.0, 1.0], ['cal.npz'])
    """
    import numpy as np

    path = Path(path)
    if npz_suffix and path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def read_kv(
    path: PathLike, multi: bool = False, check_sorted: bool = False
) -> OrderedDict[str, Union[str, List[str]]]:
    """Read a Kaldi table ``key value...`` into an ordered dict.

    Args:
        path: the table file.
        multi: split the value on whitespace into a list (spk2utt, segments, text).
        check_sorted: also require keys in ``LC_ALL=C`` order.

    Returns:
        key -> value (the rest of the line, stripped) or key -> list of fields.

    Raises:
        DataDirError: naming ``path:line`` for an empty line, a key without a value, a
        duplicate key (with the line of its first occurrence) or, with ``check_sorted``, a key
        out of order.
    """
    out: OrderedDict[str, Union[str, List[str]]] = OrderedDict()
    first_line: Dict[str, int] = {}
    prev: Optional[bytes] = None
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                parts = line.split(None, 1)
                if not parts:
                    raise DataDirError(f"{path}:{lineno}: empty line")
                if len(parts) < 2 or not parts[1].strip():
                    raise DataDirError(f"{path}:{lineno}: key '{parts[0]}' has no value")
                key, value = parts[0], parts[1].strip()
                if key in first_line:
                    raise DataDirError(
                        f"{path}:{lineno}: duplicate key '{key}' (first on line {first_line[key]})"
                    )
                k = kaldi_sort_key(key)
                if check_sorted and prev is not None and k < prev:
                    raise DataDirError(
                        f"{path}:{lineno}: not sorted (LC_ALL=C): '{key}' comes after a "
                        "larger key; run utils/fix_data_dir.sh"
                    )
                prev = k
                first_line[key] = lineno
                out[key] = value.split() if multi else value
    except UnicodeDecodeError as e:
        raise DataDirError(f"{path}: not UTF-8 text ({e})") from None
    return out


def write_kv(path: PathLike, mapping: Mapping[str, Union[str, Sequence[str]]]) -> None:
    """Write ``mapping`` as a Kaldi table sorted in ``LC_ALL=C`` order, atomically.

    List values are joined with single spaces. Keys must not contain whitespace.
    """
    for key in mapping:
        if not key or any(c.isspace() for c in key):
            raise DataDirError(f"{path}: invalid key {key!r} (empty or contains whitespace)")
    with atomic_write(path) as f:
        for key in sorted(mapping, key=kaldi_sort_key):
            value = mapping[key]
            if not isinstance(value, str):
                value = " ".join(str(v) for v in value)
            f.write(f"{key} {value}\n")


def utt2spk_to_spk2utt(utt2spk: Mapping[str, str]) -> OrderedDict[str, List[str]]:
    """Invert utt2spk: speaker -> sorted list of its utterances (speakers sorted)."""
    spk2utt: Dict[str, List[str]] = {}
    for utt, spk in utt2spk.items():
        spk2utt.setdefault(spk, []).append(utt)
    return OrderedDict(
        (spk, sorted(spk2utt[spk], key=kaldi_sort_key))
        for spk in sorted(spk2utt, key=kaldi_sort_key)
    )


def spk2utt_to_utt2spk(spk2utt: Mapping[str, Sequence[str]]) -> OrderedDict[str, str]:
    """Invert spk2utt: utterance -> speaker, sorted by utterance.

    Raises:
        DataDirError: when an utterance is listed under two speakers.
    """
    utt2spk: Dict[str, str] = {}
    for spk, utts in spk2utt.items():
        for utt in utts:
            if utt in utt2spk and utt2spk[utt] != spk:
                raise DataDirError(
                    f"utterance '{utt}' belongs to two speakers: '{utt2spk[utt]}' and '{spk}'"
                )
            utt2spk[utt] = spk
    return OrderedDict((u, utt2spk[u]) for u in sorted(utt2spk, key=kaldi_sort_key))


class DataDir:
    """All tables of one data dir, in memory.

    ``tables`` maps file name (``"wav.scp"``) to its ordered dict; ``spk2utt`` is always
    derived from ``utt2spk`` when saving, so the two can never disagree.

    Example:
        >>> dd = DataDir({"utt2spk": {"a-1": "a"}, "wav.scp": {"a-1": "/x/1.wav"}})
        >>> dd.utts, dd.speakers
        (['a-1'], ['a'])
    """

    def __init__(self, tables: Optional[Mapping[str, Mapping]] = None):
        self.tables: Dict[str, OrderedDict] = {
            name: OrderedDict(t) for name, t in (tables or {}).items()
        }

    @classmethod
    def load(cls, path: PathLike) -> DataDir:
        """Read every known table present in ``path`` (no consistency checks)."""
        path = Path(path)
        if not path.is_dir():
            raise DataDirError(f"{path}: no such data directory")
        tables = {}
        for name in UTT_FILES + SPK_FILES + RECO_FILES:
            if (path / name).is_file():
                tables[name] = read_kv(path / name, multi=name in MULTI_VALUE_FILES)
        if "utt2spk" not in tables:
            raise DataDirError(f"{path}/utt2spk: missing (every data dir needs utt2spk)")
        return cls(tables)

    def save(self, path: PathLike) -> None:
        """Write every table (and spk2utt derived from utt2spk) into ``path``, atomically."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables.items():
            if name != "spk2utt":
                write_kv(path / name, table)
        write_kv(path / "spk2utt", utt2spk_to_spk2utt(self.utt2spk))

    @property
    def utt2spk(self) -> OrderedDict[str, str]:
        """utterance -> speaker."""
        return self.tables["utt2spk"]

    @property
    def utts(self) -> List[str]:
        """Utterance ids in C order."""
        return sorted(self.utt2spk, key=kaldi_sort_key)

    @property
    def speakers(self) -> List[str]:
        """Speaker ids in C order."""
        return sorted(set(self.utt2spk.values()), key=kaldi_sort_key)

    def subset(self, utts: Iterable[str]) -> DataDir:
        """A new DataDir restricted to ``utts`` (speaker and recording tables follow)."""
        keep = set(utts) & set(self.utt2spk)
        spks = {self.utt2spk[u] for u in keep}
        tables: Dict[str, Mapping] = {}
        for name, table in self.tables.items():
            if name == "wav.scp" and "segments" in self.tables:
                recos = {
                    self.tables["segments"][u][0] for u in keep if u in self.tables["segments"]
                }
                tables[name] = {k: v for k, v in table.items() if k in recos}
            elif name in RECO_FILES:
                recos = (
                    {self.tables["segments"][u][0] for u in keep if u in self.tables["segments"]}
                    if "segments" in self.tables
                    else keep
                )
                tables[name] = {k: v for k, v in table.items() if k in recos}
            elif name in SPK_FILES:
                tables[name] = {k: v for k, v in table.items() if k in spks}
            else:
                tables[name] = {k: v for k, v in table.items() if k in keep}
        return DataDir(tables)


def _is_plain_path(entry: str) -> bool:
    """True when a wav.scp value is a file path (not a pipe or an ark offset)."""
    return not entry.rstrip().endswith("|") and len(entry.split()) == 1


def validate_data_dir(
    path: PathLike,
    no_feats: bool = False,
    no_wav: bool = False,
    no_text: bool = True,
    check_audio: bool = True,
) -> DataDir:
    """Check a data dir with Kaldi's rules; return it loaded when it is valid.

    Checks: utt2spk and spk2utt exist, are sorted and unique and agree; every speaker id is
    a prefix of its utterance ids; wav.scp (or segments + wav.scp), feats.scp, text and
    every other per-utterance table cover exactly the utterances of utt2spk; with
    ``check_audio`` every plain-path audio file in wav.scp exists.

    Args:
        path: the data dir.
        no_feats: do not require feats.scp.
        no_wav: do not require wav.scp.
        no_text: do not require text (default: speaker data has no transcripts).
        check_audio: check that audio paths in wav.scp exist.

    Raises:
        DataDirError: the first problem found, naming the file and line.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataDirError(f"{path}: no such data directory")
    if not (path / "utt2spk").is_file():
        raise DataDirError(f"{path}/utt2spk: missing")
    tables: Dict[str, OrderedDict] = {}
    for name in UTT_FILES + SPK_FILES + RECO_FILES:
        if (path / name).is_file():
            tables[name] = read_kv(path / name, multi=name in MULTI_VALUE_FILES, check_sorted=True)
    utt2spk = tables["utt2spk"]
    if not utt2spk:
        raise DataDirError(f"{path}/utt2spk: empty")
    for lineno, (utt, spk) in enumerate(utt2spk.items(), 1):
        if len(spk.split()) != 1:
            raise DataDirError(f"{path}/utt2spk:{lineno}: expected 'utt spk', got '{utt} {spk}'")
        if not utt.startswith(spk):
            raise DataDirError(
                f"{path}/utt2spk:{lineno}: speaker id '{spk}' is not a prefix of utterance id "
                f"'{utt}' (Kaldi needs it so that both sort orders agree)"
            )
    if "spk2utt" not in tables:
        raise DataDirError(f"{path}/spk2utt: missing (utils/utt2spk_to_spk2utt.pl makes it)")
    expected = utt2spk_to_spk2utt(utt2spk)
    spk2utt = tables["spk2utt"]
    for lineno, (spk, utts) in enumerate(spk2utt.items(), 1):
        if spk not in expected:
            raise DataDirError(f"{path}/spk2utt:{lineno}: speaker '{spk}' is not in utt2spk")
        if sorted(utts, key=kaldi_sort_key) != expected[spk]:
            raise DataDirError(
                f"{path}/spk2utt:{lineno}: utterances of '{spk}' disagree with utt2spk"
            )
    missing_spk = [s for s in expected if s not in spk2utt]
    if missing_spk:
        raise DataDirError(f"{path}/spk2utt: speaker '{missing_spk[0]}' of utt2spk is missing")

    def same_keys(name: str, keys: Iterable[str], what: str = "utt2spk") -> None:
        table = tables[name]
        want = set(keys)
        for lineno, key in enumerate(table, 1):
            if key not in want:
                raise DataDirError(f"{path}/{name}:{lineno}: '{key}' is not in {what}")
        absent = [k for k in want if k not in table]
        if absent:
            raise DataDirError(
                f"{path}/{name}: {len(absent)} key(s) of {what} missing, e.g. '{sorted(absent)[0]}'"
            )

    utts = list(utt2spk)
    if "segments" in tables:
        same_keys("segments", utts)
        if "wav.scp" not in tables:
            raise DataDirError(f"{path}/wav.scp: missing (segments needs it)")
        for lineno, fields in enumerate(tables["segments"].values(), 1):
            if len(fields) != 3:
                raise DataDirError(f"{path}/segments:{lineno}: expected 'utt reco start end'")
            if fields[0] not in tables["wav.scp"]:
                raise DataDirError(
                    f"{path}/segments:{lineno}: recording '{fields[0]}' is not in wav.scp"
                )
            try:
                start, end = float(fields[1]), float(fields[2])
            except ValueError:
                raise DataDirError(f"{path}/segments:{lineno}: bad times '{fields[1]} {fields[2]}'") from None
            if start < 0 or (end != -1 and end <= start):
                raise DataDirError(f"{path}/segments:{lineno}: bad segment {start}..{end}")
    elif "wav.scp" in tables:
        same_keys("wav.scp", utts)
    elif not no_wav:
        raise DataDirError(f"{path}/wav.scp: missing (use --no-wav if intended)")
    if "feats.scp" not in tables and not no_feats:
        raise DataDirError(f"{path}/feats.scp: missing (use --no-feats if intended)")
    if "text" not in tables and not no_text:
        raise DataDirError(f"{path}/text: missing (use --no-text if intended)")
    for name in UTT_FILES:
        if name in tables and name not in ("utt2spk", "wav.scp", "segments"):
            same_keys(name, utts)
    for name in ("spk2gender", "cmvn.scp"):
        if name in tables:
            same_keys(name, expected, "spk2utt")
    for name in ("utt2dur", "utt2num_frames", "reco2dur"):
        for lineno, value in enumerate(tables.get(name, {}).values(), 1):
            try:
                float(value)
            except ValueError:
                raise DataDirError(f"{path}/{name}:{lineno}: '{value}' is not a number") from None
    if check_audio and "wav.scp" in tables:
        for lineno, (key, entry) in enumerate(tables["wav.scp"].items(), 1):
            if _is_plain_path(entry) and not os.path.exists(entry.strip()):
                raise DataDirError(
                    f"{path}/wav.scp:{lineno}: audio file of '{key}' not found: {entry}"
                )
    return DataDir(tables)


def fix_data_dir(path: PathLike, backup: bool = True) -> Dict[str, int]:
    """Make a data dir consistent, as Kaldi's utils/fix_data_dir.sh does.

    Sorts every table, keeps only utterances present in every per-utterance table (and
    whose recording is in wav.scp when there are segments), drops speakers and recordings
    left without utterances, and rebuilds spk2utt from utt2spk. The previous tables are kept
    in ``<dir>/.backup/``. Nothing is changed unless every table parses.

    Returns:
        {"before": n_utts_before, "after": n_utts_after}.

    Raises:
        DataDirError: an unparsable table (file and line).
    """
    path = Path(path)
    dd = DataDir.load(path)
    before = len(dd.utt2spk)
    keep = set(dd.utt2spk)
    for name in UTT_FILES:
        if name in dd.tables and not (name == "wav.scp" and "segments" in dd.tables):
            keep &= set(dd.tables[name])
    if "segments" in dd.tables and "wav.scp" in dd.tables:
        keep = {u for u in keep if dd.tables["segments"][u][0] in dd.tables["wav.scp"]}
    # Kaldi drops utterances whose speaker is not a valid prefix only with a warning in
    # validation; here the fixed dir must validate, so such entries go too.
    keep = {u for u in keep if u.startswith(dd.utt2spk[u])}
    fixed = dd.subset(keep)
    if backup:
        bdir = path / ".backup"
        bdir.mkdir(exist_ok=True)
        for name in list(dd.tables) + ["spk2utt"]:
            if (path / name).is_file():
                shutil.copy2(path / name, bdir / name)
    if "spk2utt" in fixed.tables:
        del fixed.tables["spk2utt"]
    fixed.save(path)
    return {"before": before, "after": len(keep)}
