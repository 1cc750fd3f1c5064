"""Trial lists and score files, matched by the (enrol, test) id pair.

Two trial formats are read, detected per file from its first line:

* Kaldi: ``enrol test target|nontarget``
* VoxCeleb: ``1|0 enrol test``

Score files are ``enrol test score`` (what every scorer here writes, in trial order).
Malformed lines raise :class:`TrialsError` naming ``file:line``; NaN or infinite scores are
rejected, never skipped.

These readers hold a whole list as Python strings (about 380 bytes a matched trial): fine
for small lists (periodic EER during training). The scoring entry points read the same
formats in blocks with :mod:`TrainAndTest.io.trial_stream`, in memory bounded by the block.

Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "trials")
    >>> _ = open(p, "w").write("1 a b\\n0 a c\\n")
    >>> t = read_trials(p)
    >>> t.enrol, t.test, t.labels.tolist()
    (['a', 'a'], ['b', 'c'], [1, 0])
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

_KALDI_LABELS = {"target": 1, "nontarget": 0}
_VOX_LABELS = {"1": 1, "0": 0}


class TrialsError(ValueError):
    """A trial list or score file is malformed or does not match; names file and line."""


@dataclass
class Trials:
    """A trial list.

    Attributes:
        enrol: enrolment id per trial.
        test: test id per trial.
        labels: int8 array, 1 target, 0 non-target, -1 unknown (an unlabelled list
            ``enrol test``, as used for evaluation sets without keys).
        path: where it was read from (for messages).
    """

    enrol: List[str]
    test: List[str]
    labels: np.ndarray
    path: str = "<memory>"

    def __len__(self) -> int:
        return len(self.enrol)

    @property
    def has_labels(self) -> bool:
        """True when every trial has a target/non-target label."""
        return bool(len(self.labels)) and bool(np.all(self.labels >= 0))


def _trial_format(fields: List[str], where: str) -> str:
    if len(fields) == 3 and fields[0] in _VOX_LABELS:
        return "voxceleb"
    if len(fields) == 3 and fields[2] in _KALDI_LABELS:
        return "kaldi"
    if len(fields) == 2:
        return "unlabelled"
    raise TrialsError(
        f"{where}: expected 'enrol test target|nontarget' (Kaldi), '1|0 enrol test' "
        f"(VoxCeleb) or 'enrol test', got {' '.join(fields)!r}"
    )


def read_trials(path: PathLike) -> Trials:
    """Read a Kaldi, VoxCeleb or unlabelled trial list (format taken from the first line).

    Raises:
        TrialsError: ``file:line`` for a line of another format or a bad label, and for an
        empty file.
    """
    enrol: List[str] = []
    test: List[str] = []
    labels: List[int] = []
    fmt: Optional[str] = None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            where = f"{path}:{lineno}"
            if not fields:
                raise TrialsError(f"{where}: empty line")
            if fmt is None:
                fmt = _trial_format(fields, where)
            if fmt == "voxceleb":
                if len(fields) != 3 or fields[0] not in _VOX_LABELS:
                    raise TrialsError(f"{where}: expected '1|0 enrol test', got {line.strip()!r}")
                labels.append(_VOX_LABELS[fields[0]])
                enrol.append(fields[1])
                test.append(fields[2])
            elif fmt == "kaldi":
                if len(fields) != 3 or fields[2] not in _KALDI_LABELS:
                    raise TrialsError(
                        f"{where}: expected 'enrol test target|nontarget', got {line.strip()!r}"
                    )
                labels.append(_KALDI_LABELS[fields[2]])
                enrol.append(fields[0])
                test.append(fields[1])
            else:
                if len(fields) != 2:
                    raise TrialsError(f"{where}: expected 'enrol test', got {line.strip()!r}")
                labels.append(-1)
                enrol.append(fields[0])
                test.append(fields[1])
    if not enrol:
        raise TrialsError(f"{path}: no trials")
    return Trials(enrol, test, np.asarray(labels, dtype=np.int8), str(path))


def write_trials(path: PathLike, trials: Trials) -> None:
    """Write ``trials`` in Kaldi format (``enrol test target|nontarget``), atomically."""
    names = {1: "target", 0: "nontarget"}
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        for e, t, lab in zip(trials.enrol, trials.test, trials.labels):
            f.write(f"{e} {t} {names[int(lab)]}\n" if lab >= 0 else f"{e} {t}\n")
    os.replace(tmp, path)


def read_scores(path: PathLike) -> Tuple[List[str], List[str], np.ndarray]:
    """Read ``enrol test score`` lines.

    Returns:
        ``(enrol, test, scores)`` in file order, scores as float64.

    Raises:
        TrialsError: ``file:line`` for a line without three fields, a score that is not a
        number, or a NaN/infinite score.
    """
    enrol: List[str] = []
    test: List[str] = []
    scores: List[float] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if len(fields) != 3:
                raise TrialsError(f"{path}:{lineno}: expected 'enrol test score', got {line!r}")
            try:
                value = float(fields[2])
            except ValueError:
                raise TrialsError(
                    f"{path}:{lineno}: score {fields[2]!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise TrialsError(f"{path}:{lineno}: score is {fields[2]} (NaN/inf rejected)")
            enrol.append(fields[0])
            test.append(fields[1])
            scores.append(value)
    if not scores:
        raise TrialsError(f"{path}: no scores")
    return enrol, test, np.asarray(scores, dtype=np.float64)


def write_scores(path: PathLike, enrol: List[str], test: List[str], scores: np.ndarray) -> None:
    """Write ``enrol test score`` lines atomically (temp name, then rename).

    Raises:
        ValueError: when a score is NaN or infinite (a scorer bug must not reach metrics).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if not np.all(np.isfinite(scores)):
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise ValueError(f"{path}: score of trial {enrol[bad]} {test[bad]} is {scores[bad]}")
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(f"{e} {t} {s:.6f}\n" for e, t, s in zip(enrol, test, scores.tolist()))
    os.replace(tmp, path)


def _examples(items: List[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (", ..." if len(items) > n else "")


def match_scores(
    trials: Trials,
    enrol: List[str],
    test: List[str],
    scores: np.ndarray,
    allow_missing: bool = False,
    scores_path: str = "<scores>",
) -> Tuple[np.ndarray, np.ndarray]:
    """Scores of ``trials`` looked up by (enrol, test) pair.

    Args:
        trials: the trial list.
        enrol, test, scores: a score file's columns (see :func:`read_scores`).
        allow_missing: drop trials without a score (reported on stderr by the caller)
            instead of raising.
        scores_path: for messages.

    Returns:
        ``(scores, kept)``: one score per kept trial, and the boolean mask of kept trials.

    Raises:
        TrialsError: a pair scored twice, or trials without a score (count and examples).

    Example:
        >>> t = Trials(["a", "a"], ["b", "c"], np.array([1, 0], dtype=np.int8))
        >>> match_scores(t, ["a", "a"], ["c", "b"], np.array([0.1, 0.9]))[0].tolist()
        [0.9, 0.1]
    """
    n = len(trials)
    if len(enrol) == n and enrol == trials.enrol and test == trials.test:
        return np.asarray(scores, dtype=np.float64), np.ones(n, dtype=bool)
    lookup: Dict[Tuple[str, str], float] = {}
    for i, pair in enumerate(zip(enrol, test)):
        if pair in lookup:
            raise TrialsError(f"{scores_path}:{i + 1}: pair {pair[0]} {pair[1]} scored twice")
        lookup[pair] = float(scores[i])
    out = np.empty(n, dtype=np.float64)
    kept = np.ones(n, dtype=bool)
    missing: List[str] = []
    for i, pair in enumerate(zip(trials.enrol, trials.test)):
        value = lookup.get(pair)
        if value is None:
            kept[i] = False
            missing.append(f"{pair[0]} {pair[1]}")
        else:
            out[i] = value
    if missing and not allow_missing:
        raise TrialsError(
            f"{len(missing)} of {n} trials in {trials.path} have no score in {scores_path} "
            f"(e.g. {_examples(missing)}); pass --allow-missing to drop them"
        )
    return out[kept], kept
