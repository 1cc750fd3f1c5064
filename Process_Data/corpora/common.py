"""What every corpus preparation shares: scanning, audio checks, atomic data-dir writing.

A preparation builds its tables in memory, checks that every audio file exists and is
readable, writes the data dir into a temporary sibling folder, validates it there, and only
then renames it onto the target: a failure leaves no half-written data dir behind.

Example:
    >>> vox_utt_id("id10001/1zcIwhmdeo4/00001.wav")
    'id10001-1zcIwhmdeo4-00001'
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from Process_Data.audio import FFMPEG_EXTENSIONS, ffmpeg_exe
from Process_Data.data_dir import DataDir, DataDirError, validate_data_dir

#: Audio file extensions a corpus scan picks up (soundfile formats plus ffmpeg ones).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".sph", ".aiff", ".aif") + FFMPEG_EXTENSIONS


class CorpusError(ValueError):
    """The corpus on disk is not what the preparation expects (message names the path)."""


def vox_utt_id(rel_path: str) -> str:
    """VoxCeleb relative path ``spk/session/utt.ext`` -> utterance id ``spk-session-utt``.

    Raises:
        CorpusError: a path that is not three components deep.
    """
    parts = rel_path.strip().strip("/").split("/")
    if len(parts) != 3:
        raise CorpusError(f"expected <speaker>/<session>/<utt>.<ext>, got '{rel_path}'")
    stem = os.path.splitext(parts[2])[0]
    return f"{parts[0]}-{parts[1]}-{stem}"


def scan_vox_layout(wav_root, extensions: Sequence[str] = AUDIO_EXTENSIONS) -> Dict[str, str]:
    """Find ``<wav_root>/<spk>/<session>/<utt>.<ext>`` files.

    Args:
        wav_root: the folder holding the speaker folders (``wav/`` or ``aac/``).
        extensions: file extensions to accept (lower case, with the dot).

    Returns:
        relative path (``spk/session/utt.ext``) -> absolute path, sorted by relative path.

    Raises:
        CorpusError: ``wav_root`` missing, no audio found, or two files giving one utterance
        id (e.g. ``a.wav`` and ``a.flac``).
    """
    wav_root = Path(wav_root)
    if not wav_root.is_dir():
        raise CorpusError(f"{wav_root}: no such directory")
    root_abs = wav_root.resolve()
    found: Dict[str, str] = {}
    ids: Dict[str, str] = {}
    for spk in sorted(os.scandir(root_abs), key=lambda e: e.name):
        if not spk.is_dir():
            continue
        for sess in sorted(os.scandir(spk.path), key=lambda e: e.name):
            if not sess.is_dir():
                continue
            for f in sorted(os.scandir(sess.path), key=lambda e: e.name):
                if not f.is_dir() and os.path.splitext(f.name)[1].lower() in extensions:
                    rel = f"{spk.name}/{sess.name}/{f.name}"
                    utt = vox_utt_id(rel)
                    if utt in ids:
                        raise CorpusError(
                            f"{wav_root}: '{rel}' and '{ids[utt]}' give the same utterance "
                            f"id '{utt}'"
                        )
                    ids[utt] = rel
                    found[rel] = f.path
    if not found:
        raise CorpusError(
            f"{wav_root}: no audio files ({', '.join(extensions)}) in <speaker>/<session>/"
        )
    return found


def wav_scp_entry(path: str, sample_rate: int = 16000) -> str:
    """The ``wav.scp`` value for an audio file: the path, or an ffmpeg pipe for m4a & co.

    ffmpeg is the one on PATH, else imageio-ffmpeg's binary, resolved now (prep time).

    Example:
        >>> wav_scp_entry("/c/a.flac")
        '/c/a.flac'
    """
    if os.path.splitext(path)[1].lower() in FFMPEG_EXTENSIONS:
        return (
            f"{ffmpeg_exe()} -nostdin -v error -i {path} -f wav -ac 1 -ar {sample_rate} - |"
        )
    return path


def _probe(path: str) -> Tuple[str, Optional[float], Optional[str]]:
    """(path, seconds or None, error or None) for one file."""
    import soundfile as sf

    if not os.path.exists(path):
        return path, None, "file not found"
    try:
        if os.path.splitext(path)[1].lower() in FFMPEG_EXTENSIONS:
            # soundfile cannot parse these; decoding 1M files at prep time is out of the
            # question, so check existence and size only (no duration)
            if os.path.getsize(path) == 0:
                return path, None, "empty file"
            return path, None, None
        info = sf.info(path)
        if info.frames <= 0 or info.samplerate <= 0:
            return path, None, "no audio frames"
        return path, info.frames / info.samplerate, None
    except FileNotFoundError:
        return path, None, "file not found"
    except Exception as e:  # soundfile raises its own error types
        return path, None, f"unreadable ({str(e).splitlines()[0] if str(e) else type(e).__name__})"


def check_audio(paths: Iterable[str], num_threads: int = 8) -> Dict[str, Optional[float]]:
    """Check that every file exists and is readable (``soundfile.info``, no decoding).

    Args:
        paths: audio files.
        num_threads: threads (the work is mostly file-system latency).

    Returns:
        path -> duration in seconds (None for ffmpeg formats, whose duration needs decoding).

    Raises:
        CorpusError: listing every missing or unreadable file (by path) when there is any.
    """
    paths = list(paths)
    with ThreadPoolExecutor(max(1, num_threads)) as pool:
        results = list(pool.map(_probe, paths, chunksize=64))
    bad = [(p, err) for p, _, err in results if err]
    if bad:
        shown = "\n".join(f"  {p}: {err}" for p, err in bad[:20])
        more = f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else ""
        raise CorpusError(f"{len(bad)} bad audio file(s):\n{shown}{more}")
    return {p: d for p, d, _ in results}


def format_duration(seconds: float) -> str:
    """utt2dur value: seconds with 3 decimals (Kaldi writes up to 3 in get_utt2dur.sh)."""
    return f"{seconds:.3f}"


def build_tables(
    utt2path: Mapping[str, str],
    utt2spk: Mapping[str, str],
    durations: Optional[Mapping[str, Optional[float]]] = None,
    spk2gender: Optional[Mapping[str, str]] = None,
    sample_rate: int = 16000,
) -> Dict[str, Dict[str, str]]:
    """Kaldi tables (wav.scp, utt2spk, utt2dur, spk2gender) from per-utterance facts.

    Args:
        utt2path: utterance -> absolute audio path.
        utt2spk: utterance -> speaker.
        durations: path -> seconds (utt2dur is written when every utterance has one).
        spk2gender: speaker -> m/f (restricted to the speakers present).
        sample_rate: rate of the ffmpeg pipes.

    Returns:
        file name -> table.
    """
    tables: Dict[str, Dict[str, str]] = {
        "wav.scp": {u: wav_scp_entry(p, sample_rate) for u, p in utt2path.items()},
        "utt2spk": dict(utt2spk),
    }
    if durations is not None and all(durations.get(p) is not None for p in utt2path.values()):
        tables["utt2dur"] = {u: format_duration(durations[p]) for u, p in utt2path.items()}
    if spk2gender:
        spks = set(utt2spk.values())
        g = {s: spk2gender[s] for s in spks if s in spk2gender}
        if len(g) == len(spks):
            tables["spk2gender"] = g
    return tables


#: In a prepared data dir: the names of the files the preparation wrote (one a line), so
#: that a rerun can tell "same tables" from "changed" without knowing what later stages add.
PREP_FILES = ".prep_files"


def _prep_files(root: Path) -> List[str]:
    """Relative names of every file under ``root`` (sorted)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def same_data_dir(new: Path, old: Path) -> bool:
    """True when ``old`` was prepared with exactly the files of ``new`` (names and bytes).

    ``old`` may hold more (feats.scp, data/, conf/ of later stages); only the files its
    preparation wrote (listed in ``.prep_files``) are compared.
    """
    listed = old / PREP_FILES
    if not listed.is_file():
        return False
    names = _prep_files(new)
    if listed.read_text(encoding="utf-8").split("\n") != names + [""]:
        return False
    return all(
        (old / n).is_file() and (old / n).read_bytes() == (new / n).read_bytes()
        for n in names
        if n != PREP_FILES
    )


def write_data_dir(
    out_dir,
    tables: Mapping[str, Mapping[str, str]],
    extra_files: Optional[Mapping[str, str]] = None,
    log=print,
) -> Path:
    """Write a data dir atomically: temp sibling folder, validate, rename onto ``out_dir``.

    When ``out_dir`` already holds exactly these tables and files (a rerun of an unchanged
    corpus), it is left untouched: its features (``feats.scp``, ``data/*.ark``) and every
    file's modification time are kept. When anything differs it is replaced whole, and the
    feature step recomputes.

    Args:
        out_dir: the data dir to (re)create; an existing one is replaced only on success.
        tables: Kaldi tables (spk2utt is derived from utt2spk).
        extra_files: file name -> text content (trials, rir_list, ...), written as given.
        log: progress printer.

    Returns:
        ``out_dir`` as a Path.

    Raises:
        DataDirError: the tables do not form a valid data dir (nothing is left behind).
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    n_utt = len(tables["utt2spk"])
    n_spk = len(set(tables["utt2spk"].values()))
    try:
        DataDir({k: v for k, v in tables.items() if k != "spk2utt"}).save(tmp)
        for name, text in (extra_files or {}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")
        try:
            validate_data_dir(tmp, no_feats=True, check_audio=False)
        except DataDirError as e:
            raise DataDirError(f"{out_dir} (being written): {e}") from None
        names = _prep_files(tmp) + [PREP_FILES]
        (tmp / PREP_FILES).write_text("".join(n + "\n" for n in sorted(names)), encoding="utf-8")
        if out_dir.is_dir() and same_data_dir(tmp, out_dir):
            shutil.rmtree(tmp, ignore_errors=True)
            log(f"{out_dir}: {n_utt} utterances, {n_spk} speakers (unchanged; kept as it is)")
            return out_dir
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old.{os.getpid()}"
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"{out_dir}: {n_utt} utterances, {n_spk} speakers")
    return out_dir


def read_lines(path, min_fields: int = 1) -> List[Tuple[int, List[str]]]:
    """Non-empty, non-comment lines of a list file as (line number, fields).

    Raises:
        CorpusError: a line with fewer than ``min_fields`` fields (names ``path:line``).
    """
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0].startswith(("#", ";")):
                continue
            if len(fields) < min_fields:
                raise CorpusError(
                    f"{path}:{lineno}: expected at least {min_fields} fields, got {line.strip()!r}"
                )
            out.append((lineno, fields))
    return out


def run_main(prog: str, func, *args, **kwargs) -> int:
    """Call a preparation for an entry point: 0 on success, 1 with ``prog: message`` on a
    corpus, data-dir or audio error (no traceback for a user's bad input)."""
    import sys

    from Process_Data.audio import AudioError

    try:
        func(*args, **kwargs)
    except (CorpusError, DataDirError, AudioError, OSError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    return 0
