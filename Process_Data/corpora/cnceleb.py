"""CN-Celeb1/2 -> ``<prefix>_train``, ``<prefix>_eval_enroll``, ``<prefix>_eval_test``.

Layout read (both releases): ``<root>/data/<spk>/<genre>-<session>-<utt>.<ext>``; CN-Celeb1
adds ``dev/dev.lst`` (the training speakers), ``eval/enroll/<spk>-enroll.<ext>``,
``eval/test/<spk>-<genre>-<session>-<utt>.<ext>`` and ``eval/lists/{enroll.lst,trials.lst}``
(``<enroll-id> enroll/<file>`` and ``<enroll-id> test/<file> 0|1``).

Training speakers: those of ``dev/dev.lst`` when present, else every speaker of ``data/``
that is not an evaluation speaker. Utterance ids are ``<spk>-<genre>-<session>-<utt>``;
enrolment ids are the list's (``id00800-enroll``); the Kaldi trials (``<enroll-id>
<test-utt> target|nontarget``) go into the test dir.

Example (shell): ``python -m Process_Data.bin.make_cnceleb /corpora/CN-Celeb /corpora/CN-Celeb2 data``
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Sequence

from Process_Data.corpora.common import (
    AUDIO_EXTENSIONS,
    CorpusError,
    build_tables,
    check_audio,
    read_lines,
    write_data_dir,
)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _scan_data(root: Path) -> Dict[str, str]:
    """utt id -> path for ``<root>/data/<spk>/<name>.<ext>``."""
    data = root / "data"
    if not data.is_dir():
        raise CorpusError(f"{root}: no data/ folder (CN-Celeb layout)")
    out = {}
    for spk in sorted(os.scandir(data), key=lambda e: e.name):
        if not spk.is_dir():
            continue
        for f in sorted(os.scandir(spk.path), key=lambda e: e.name):
            if not f.is_dir() and os.path.splitext(f.name)[1].lower() in AUDIO_EXTENSIONS:
                utt = f"{spk.name}-{_stem(f.name)}"
                if utt in out:
                    raise CorpusError(f"{f.path}: utterance id '{utt}' seen twice")
                out[utt] = os.path.abspath(f.path)
    return out


def _speaker_of(utt: str) -> str:
    return utt.split("-", 1)[0]


def prepare_cnceleb(
    roots: Sequence[str], out_dir, prefix: str = "cnceleb", num_threads: int = 8, log=print
) -> Dict[str, Path]:
    """Prepare training and evaluation data dirs from one or more CN-Celeb roots.

    Args:
        roots: CN-Celeb1 and/or CN-Celeb2 roots (the folders holding ``data/``).
        out_dir: parent of the data dirs.
        prefix: data-dir name prefix.
        num_threads: threads for the audio checks.
        log: progress printer.

    Returns:
        {"train": path[, "eval_enroll": path, "eval_test": path]}.

    Raises:
        CorpusError: bad layout, list line or audio file (named by path and line).
    """
    train: Dict[str, str] = {}
    enroll: Dict[str, str] = {}
    test: Dict[str, str] = {}
    trials_text = ""
    for root in map(Path, roots):
        data = _scan_data(root)
        lists = root / "eval" / "lists"
        eval_spks = set()
        if (lists / "enroll.lst").is_file():
            for lineno, f in read_lines(lists / "enroll.lst", 2):
                if f[0] in enroll:
                    raise CorpusError(f"{lists}/enroll.lst:{lineno}: '{f[0]}' listed twice")
                enroll[f[0]] = str((root / "eval" / f[1]).resolve())
                eval_spks.add(_speaker_of(f[0]))
        if (lists / "trials.lst").is_file():
            lines = []
            for lineno, f in read_lines(lists / "trials.lst", 3):
                if f[0] not in enroll:
                    raise CorpusError(f"{lists}/trials.lst:{lineno}: '{f[0]}' not in enroll.lst")
                if f[2] not in ("0", "1"):
                    raise CorpusError(f"{lists}/trials.lst:{lineno}: label '{f[2]}' is not 0/1")
                utt = _stem(f[1])
                test[utt] = str((root / "eval" / f[1]).resolve())
                lines.append(f"{f[0]} {utt} {'target' if f[2] == '1' else 'nontarget'}\n")
            trials_text += "".join(lines)
        dev_lst = root / "dev" / "dev.lst"
        if dev_lst.is_file():
            keep = {f[0] for _, f in read_lines(dev_lst)}
        else:
            keep = {_speaker_of(u) for u in data} - eval_spks
        n0 = len(train)
        train.update({u: p for u, p in data.items() if _speaker_of(u) in keep})
        log(f"{root}: {len(train) - n0} training utterances")
    durs = check_audio(list(train.values()) + list(enroll.values()) + list(test.values()),
                       num_threads)  # fmt: skip
    out = {}
    if not train:
        raise CorpusError(f"{', '.join(map(str, roots))}: no training utterances")
    out["train"] = write_data_dir(
        Path(out_dir) / f"{prefix}_train",
        build_tables(train, {u: _speaker_of(u) for u in train}, durs), log=log,
    )  # fmt: skip
    if enroll and test:
        out["eval_enroll"] = write_data_dir(
            Path(out_dir) / f"{prefix}_eval_enroll",
            build_tables(enroll, {u: _speaker_of(u) for u in enroll}, durs), log=log,
        )  # fmt: skip
        out["eval_test"] = write_data_dir(
            Path(out_dir) / f"{prefix}_eval_test",
            build_tables(test, {u: _speaker_of(u) for u in test}, durs),
            {"trials": trials_text}, log,
        )  # fmt: skip
    return out
