"""VoxCeleb1 (or any corpus in its layout) -> ``<prefix>_dev`` and ``<prefix>_test`` data dirs.

Input: ``<root>/wav/<spk>/<session>/<utt>.<ext>`` (any format soundfile reads, or m4a via
ffmpeg; any rate: audio is resampled when read), a meta file giving each speaker's set
(official ``vox1_meta.csv``, tab separated with ``VoxCeleb1 ID ... Set``, or minivox'
``meta.csv`` with ``speaker,gender,corpus,set,utterances``) or a test-speaker list, and
optional trial lists.

Trial lists found in ``<root>`` or ``<root>/trials`` are converted to Kaldi ``trials``:

==========================  =====================
list                        data-dir file
==========================  =====================
``veri_test2.txt``          ``trials`` (Vox1-O cleaned) and ``trials_vox1_o_clean``
``veri_test.txt``           ``trials_vox1_o``
``list_test_all2.txt``      ``trials_vox1_e_clean``
``list_test_all.txt``       ``trials_vox1_e``
``list_test_hard2.txt``     ``trials_vox1_h_clean``
``list_test_hard.txt``      ``trials_vox1_h``
``test.txt``                ``trials`` (when there is no veri_test2.txt)
``test_<name>.txt``         ``trials_<name>``
any ``--trials-list X.txt`` ``trials_X``
==========================  =====================

A ``domain`` or ``corpus`` column in the meta file (minivox has one) gives ``utt2domain``
(the source corpus of each utterance), which the back-end uses to centre embeddings per domain.

A list whose utterances are all test speakers goes into the test dir; one that uses dev
speakers too (Vox1-E/H) goes into ``<prefix>_all`` (dev + test), written only when needed.

Example (shell): ``python -m Process_Data.bin.make_voxceleb1 ../shared/data/minivox data``
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from Process_Data.corpora.common import (
    CorpusError,
    build_tables,
    check_audio,
    read_lines,
    scan_vox_layout,
    vox_utt_id,
    write_data_dir,
)
from Process_Data.corpora.trials import read_trials
from Process_Data.data_dir import DataDirError

#: Official list file -> trials file name in the data dir.
OFFICIAL_LISTS = (
    ("veri_test2.txt", "trials_vox1_o_clean"),
    ("veri_test.txt", "trials_vox1_o"),
    ("list_test_all2.txt", "trials_vox1_e_clean"),
    ("list_test_all.txt", "trials_vox1_e"),
    ("list_test_hard2.txt", "trials_vox1_h_clean"),
    ("list_test_hard.txt", "trials_vox1_h"),
)


def _read_meta(meta) -> Tuple[List[str], List[Tuple[int, List[str]]]]:
    """A comma- or tab-separated meta file with a header: (lower-cased header, [(line
    number, fields)] of its non-blank rows).

    Raises:
        CorpusError: an empty file, or a row with the wrong number of fields (``meta:line``).
    """
    with open(meta, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines()
    if not lines:
        raise CorpusError(f"{meta}: empty")
    delim = "\t" if "\t" in lines[0] else ","
    rows = list(csv.reader(lines, delimiter=delim))
    header = [h.strip().lower() for h in rows[0]]
    body = []
    for lineno, row in enumerate(rows[1:], 2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(header):
            raise CorpusError(f"{meta}:{lineno}: {len(row)} fields, header has {len(header)}")
        body.append((lineno, row))
    return header, body


def _column(header: List[str], *names: str) -> Optional[int]:
    """Index of the first of ``names`` in ``header``, or None."""
    return next((header.index(n) for n in names if n in header), None)


_SPEAKER_COLUMNS = ("speaker", "voxceleb1 id", "voxceleb2 id", "id")


def read_speaker_sets(meta) -> Tuple[Dict[str, str], Dict[str, str]]:
    """Read a VoxCeleb-style meta file: speaker -> set (dev/test) and speaker -> gender.

    Accepts comma- or tab-separated files with a header; the speaker column is ``speaker``
    or ``VoxCeleb1 ID`` / ``VoxCeleb2 ID``, the set column ``set``, the gender ``gender``
    (all case-insensitive).

    Raises:
        CorpusError: no speaker column, or a set other than dev/test (names ``meta:line``).
    """
    header, body = _read_meta(meta)
    i_spk = _column(header, *_SPEAKER_COLUMNS)
    i_set, i_gender = _column(header, "set"), _column(header, "gender")
    if i_spk is None:
        raise CorpusError(f"{meta}:1: no speaker column (speaker / VoxCeleb1 ID) in header")
    sets: Dict[str, str] = {}
    genders: Dict[str, str] = {}
    for lineno, row in body:
        spk = row[i_spk].strip()
        if i_set is not None:
            s = row[i_set].strip().lower()
            if s not in ("dev", "test"):
                raise CorpusError(f"{meta}:{lineno}: set '{row[i_set]}' is not dev or test")
            sets[spk] = s
        if i_gender is not None and row[i_gender].strip():
            genders[spk] = row[i_gender].strip().lower()[0]
    return sets, genders


def read_speaker_domains(meta) -> Dict[str, str]:
    """Speaker -> domain (source corpus) from a meta file's ``domain`` or ``corpus`` column.

    minivox' ``meta.csv`` names each speaker's source corpus (``sc``, ``az``, ...); the
    back-end centres embeddings per domain with it (``utt2domain``). Returns ``{}`` when the
    file has no such column (VoxCeleb's own meta).

    Raises:
        CorpusError: a row with the wrong number of fields or an empty domain (``meta:line``).
    """
    header, body = _read_meta(meta)
    i_dom = _column(header, "domain", "corpus")
    i_spk = _column(header, *_SPEAKER_COLUMNS)
    if i_dom is None or i_spk is None:
        return {}
    domains: Dict[str, str] = {}
    for lineno, row in body:
        dom = row[i_dom].strip()
        if not dom or any(c.isspace() for c in dom):
            raise CorpusError(f"{meta}:{lineno}: domain '{row[i_dom]}' is empty or has spaces")
        domains[row[i_spk].strip()] = dom
    return domains


def _find_lists(root: Path, extra: Sequence[str]) -> List[Tuple[Path, str]]:
    """(list path, trials file name) for the lists present, ``trials`` first."""
    found: List[Tuple[Path, str]] = []
    dirs = [root, root / "trials"]

    def first(name: str) -> Optional[Path]:
        for d in dirs:
            if (d / name).is_file():
                return d / name
        return None

    for name, target in OFFICIAL_LISTS:
        p = first(name)
        if p is not None:
            found.append((p, target))
    default = first("veri_test2.txt") or first("test.txt") or first("veri_test.txt")
    if default is not None:
        found.insert(0, (default, "trials"))
    for d in dirs:
        if d.is_dir():
            for p in sorted(d.glob("test_*.txt")):
                found.append((p, "trials_" + p.stem[len("test_") :]))
    for x in extra:
        p = Path(x)
        if not p.is_file():
            raise CorpusError(f"--trials-list {x}: no such file")
        found.append((p, "trials_" + re.sub(r"[^A-Za-z0-9_.-]", "_", p.stem)))
    names = [t for _, t in found]
    dup = sorted({t for t in names if names.count(t) > 1})
    if dup:
        raise CorpusError(f"two trial lists would both be written as '{dup[0]}'")
    return found


def _convert(path: Path, known: Dict[str, str]) -> Tuple[str, set]:
    """Kaldi trials text for a list, and the set of utterances it uses."""
    trials, _ = read_trials(path)
    lines, used = [], set()
    for lineno, t in enumerate(trials, 1):
        keys = []
        for entry in (t.enrol, t.test):
            key = vox_utt_id(entry) if "/" in entry else entry
            if key not in known:
                raise DataDirError(
                    f"{path}:{lineno}: '{entry}' (utterance '{key}') is not in the corpus"
                )
            keys.append(key)
            used.add(key)
        lines.append(f"{keys[0]} {keys[1]} {'target' if t.is_target else 'nontarget'}\n")
    return "".join(lines), used


def prepare_voxceleb1(
    root,
    out_dir,
    prefix: str = "voxceleb1",
    meta: Optional[str] = None,
    test_speakers: Optional[str] = None,
    trials_lists: Sequence[str] = (),
    durations: bool = True,
    sample_rate: int = 16000,
    num_threads: int = 8,
    log=print,
) -> Dict[str, Path]:
    """Prepare ``<out_dir>/<prefix>_dev`` and ``<out_dir>/<prefix>_test`` (and ``_all``).

    Args:
        root: corpus root holding ``wav/``.
        out_dir: parent of the data dirs (``data``).
        prefix: data-dir name prefix.
        meta: speaker meta file (default: ``<root>/meta.csv``, ``<root>/vox1_meta.csv``).
        test_speakers: file with one test speaker per line (overrides the meta's sets).
        trials_lists: extra trial lists (VoxCeleb or Kaldi format).
        durations: write utt2dur (soundfile.info, no decoding).
        sample_rate: rate of ffmpeg pipes for m4a files.
        num_threads: threads for the audio checks.
        log: progress printer.

    Returns:
        {"dev": path, "test": path[, "all": path]}.

    Raises:
        CorpusError / DataDirError: bad corpus, meta, list or audio (named by path).
    """
    root = Path(root)
    files = scan_vox_layout(root / "wav")
    log(f"{root}/wav: {len(files)} audio files")
    meta_path = (
        Path(meta)
        if meta
        else next((root / n for n in ("meta.csv", "vox1_meta.csv") if (root / n).is_file()), None)
    )
    sets, genders = read_speaker_sets(meta_path) if meta_path else ({}, {})
    domains = read_speaker_domains(meta_path) if meta_path else {}
    speakers = sorted({rel.split("/")[0] for rel in files})
    if test_speakers:
        test = {fields[0] for _, fields in read_lines(test_speakers)}
        unknown = sorted(test - set(speakers))
        if unknown:
            raise CorpusError(f"{test_speakers}: speaker '{unknown[0]}' has no audio in {root}")
        split = {s: ("test" if s in test else "dev") for s in speakers}
    elif sets:
        missing = [s for s in speakers if s not in sets]
        if missing:
            raise CorpusError(f"{meta_path}: speaker '{missing[0]}' of {root}/wav is not listed")
        split = {s: sets[s] for s in speakers}
    else:
        raise CorpusError(
            f"{root}: no meta.csv / vox1_meta.csv; give --meta or --test-speakers for the split"
        )
    durs = check_audio(files.values(), num_threads) if durations else None
    if durs is None:
        check_exist = [p for p in files.values() if not os.path.isfile(p)]
        if check_exist:
            raise CorpusError(f"audio file not found: {check_exist[0]}")
    utt2path = {vox_utt_id(rel): path for rel, path in files.items()}
    utt2spk = {vox_utt_id(rel): rel.split("/")[0] for rel in files}
    lists = _find_lists(root, trials_lists)
    per_dir: Dict[str, Dict[str, str]] = {"dev": {}, "test": {}, "all": {}}
    test_utts = {u for u, s in utt2spk.items() if split[s] == "test"}
    for path, name in lists:
        text, used = _convert(path, utt2spk)
        where = "test" if used <= test_utts else "all"
        per_dir[where][name] = text
        log(f"{path} -> {prefix}_{where}/{name} ({text.count(chr(10))} trials)")
    out = {}
    for part in ("dev", "test", "all"):
        if part == "all" and not per_dir["all"]:
            continue
        utts = [u for u, s in utt2spk.items() if part == "all" or split[s] == part]
        if not utts:
            raise CorpusError(f"{root}: no {part} speakers")
        tables = build_tables(
            {u: utt2path[u] for u in utts}, {u: utt2spk[u] for u in utts},
            durs, genders, sample_rate,
        )  # fmt: skip
        if domains and all(utt2spk[u] in domains for u in utts):
            tables["utt2domain"] = {u: domains[utt2spk[u]] for u in utts}
        out[part] = write_data_dir(Path(out_dir) / f"{prefix}_{part}", tables, per_dir[part], log)
    return out
