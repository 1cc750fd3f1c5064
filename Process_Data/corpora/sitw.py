"""Speakers in the Wild -> ``sitw_{dev,eval}_{enroll,test}`` with core-core trials.

Layout read: ``<root>/<dev|eval>/audio/<file>.flac``, ``lists/enroll-core.lst``
(``<model-id> audio/<file>.flac``) and ``keys/core-core.lst`` (``<model-id>
audio/<file>.flac tgt|imp``). Enrolment utterances are ``<model-id>-<file>`` with the model
as speaker; test utterances are ``<file>``, each its own speaker (SITW does not give test
speakers to the recipe). The Kaldi trials (``<enrol-utt> <test-utt> target|nontarget``) go
into the test dir as ``trials`` (core-core); ``keys/core-multi.lst`` is converted too
(``trials_core_multi``) when present, with multi-speaker test files.

Example (shell): ``python -m Process_Data.bin.make_sitw /corpora/sitw data``
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Sequence

from Process_Data.corpora.common import (
    CorpusError,
    build_tables,
    check_audio,
    read_lines,
    write_data_dir,
)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def prepare_sitw(
    root, out_dir, parts: Sequence[str] = ("dev", "eval"), num_threads: int = 8, log=print
) -> Dict[str, Path]:
    """Prepare the SITW enrolment and test data dirs of ``parts``.

    Args:
        root: SITW root (holding ``dev/`` and ``eval/``).
        out_dir: parent of the data dirs.
        parts: which parts to prepare.
        num_threads: threads for the audio checks.
        log: progress printer.

    Returns:
        {"dev_enroll": path, "dev_test": path, ...}.

    Raises:
        CorpusError: a missing list, bad line or bad audio file (named by path and line).
    """
    out = {}
    for part in parts:
        base = Path(root) / part
        enroll_lst = base / "lists" / "enroll-core.lst"
        keys = base / "keys" / "core-core.lst"
        for f in (enroll_lst, keys):
            if not f.is_file():
                raise CorpusError(f"{f}: missing (SITW layout)")
        enroll: Dict[str, str] = {}
        model2utt: Dict[str, str] = {}
        for lineno, f in read_lines(enroll_lst, 2):
            utt = f"{f[0]}-{_stem(f[1])}"
            if f[0] in model2utt:
                raise CorpusError(f"{enroll_lst}:{lineno}: model '{f[0]}' enrolled twice")
            model2utt[f[0]] = utt
            enroll[utt] = str((base / f[1]).resolve())
        test: Dict[str, str] = {}
        extra = {}
        for key_file, name in ((keys, "trials"), (base / "keys" / "core-multi.lst",
                                                  "trials_core_multi")):  # fmt: skip
            if not key_file.is_file():
                continue
            lines = []
            for lineno, f in read_lines(key_file, 3):
                if f[0] not in model2utt:
                    raise CorpusError(f"{key_file}:{lineno}: model '{f[0]}' not in {enroll_lst}")
                if f[2] not in ("tgt", "imp"):
                    raise CorpusError(f"{key_file}:{lineno}: label '{f[2]}' is not tgt/imp")
                utt = _stem(f[1])
                test[utt] = str((base / f[1]).resolve())
                label = "target" if f[2] == "tgt" else "nontarget"
                lines.append(f"{model2utt[f[0]]} {utt} {label}\n")
            extra[name] = "".join(lines)
        durs = check_audio(list(enroll.values()) + list(test.values()), num_threads)
        out[f"{part}_enroll"] = write_data_dir(
            Path(out_dir) / f"sitw_{part}_enroll",
            build_tables(enroll, {u: m for m, u in model2utt.items()}, durs), log=log,
        )  # fmt: skip
        out[f"{part}_test"] = write_data_dir(
            Path(out_dir) / f"sitw_{part}_test",
            build_tables(test, {u: u for u in test}, durs), extra, log,
        )  # fmt: skip
    return out
