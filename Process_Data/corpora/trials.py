"""Verification trial lists: make them from a data dir, read and convert the common formats.

Two formats are in use:

- Kaldi ``trials``: ``enrol_utt test_utt target|nontarget`` (utterance ids of a data dir).
- VoxCeleb (``veri_test2.txt``, ``list_test_all2.txt``, ...): ``1|0 enrol_path test_path``
  with paths relative to the corpus' ``wav/`` folder.

Example:
    >>> utt2spk = {"a-1": "a", "a-2": "a", "b-1": "b", "b-2": "b"}
    >>> trials = make_trials(utt2spk, num_target=1, num_nontarget=1, seed=0)
    >>> sorted({t.is_target for t in trials})
    [False, True]
    >>> trials[0].kaldi_line().split()[2] in ("target", "nontarget")
    True
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Set, Tuple

from Process_Data.data_dir import DataDirError, atomic_write, kaldi_sort_key


class Trial(NamedTuple):
    """One verification trial: enrolment key, test key and whether both are one speaker."""

    enrol: str
    test: str
    is_target: bool

    def kaldi_line(self) -> str:
        """``enrol test target|nontarget`` (no newline)."""
        return f"{self.enrol} {self.test} {'target' if self.is_target else 'nontarget'}"

    def vox_line(self) -> str:
        """``1|0 enrol test`` (no newline)."""
        return f"{int(self.is_target)} {self.enrol} {self.test}"


def make_trials(
    utt2spk: Mapping[str, str],
    num_target: int,
    num_nontarget: int,
    seed: int = 0,
    spk2gender: Optional[Mapping[str, str]] = None,
    same_gender: bool = False,
    enrol_utts: Optional[Iterable[str]] = None,
) -> List[Trial]:
    """Draw VoxCeleb1-O style trials: each utterance enrols against N targets and N others.

    For every enrolment utterance (in C order), up to ``num_target`` other utterances of the
    same speaker and ``num_nontarget`` utterances of other speakers are drawn without
    replacement. A pair already drawn in either order is not drawn again, so the list has no
    duplicates. Deterministic for a given ``seed`` and input.

    Args:
        utt2spk: utterance -> speaker.
        num_target: target trials per enrolment utterance (fewer when the speaker has fewer
            other utterances).
        num_nontarget: non-target trials per enrolment utterance.
        seed: random seed.
        spk2gender: speaker -> gender; required with ``same_gender``.
        same_gender: draw non-target test utterances from speakers of the enrolment
            speaker's gender only.
        enrol_utts: restrict the enrolment side to these utterances (default: all).

    Returns:
        the trials, grouped by enrolment utterance.

    Raises:
        ValueError: negative counts, or ``same_gender`` without a gender for a speaker.
    """
    if num_target < 0 or num_nontarget < 0:
        raise ValueError(f"trial counts must be >= 0, got {num_target} and {num_nontarget}")
    if same_gender:
        if spk2gender is None:
            raise ValueError("same_gender needs spk2gender")
        missing = sorted(set(utt2spk.values()) - set(spk2gender), key=kaldi_sort_key)
        if missing:
            raise ValueError(f"spk2gender has no gender for speaker '{missing[0]}'")
    rng = random.Random(seed)
    utts = sorted(utt2spk, key=kaldi_sort_key)
    by_spk: Dict[str, List[str]] = {}
    for u in utts:
        by_spk.setdefault(utt2spk[u], []).append(u)
    pools: Dict[str, List[str]] = {"": utts}
    if same_gender:
        for u in utts:
            pools.setdefault(spk2gender[utt2spk[u]], []).append(u)
    seen: Set[Tuple[str, str]] = set()
    trials: List[Trial] = []
    enrol = utts if enrol_utts is None else sorted(set(enrol_utts), key=kaldi_sort_key)
    for e in enrol:
        if e not in utt2spk:
            raise ValueError(f"enrolment utterance '{e}' is not in utt2spk")
        spk = utt2spk[e]
        others = [u for u in by_spk[spk] if u != e]
        n_target = 0
        for t in rng.sample(others, len(others)):
            if n_target >= num_target:
                break
            if (e, t) not in seen and (t, e) not in seen:
                seen.add((e, t))
                trials.append(Trial(e, t, True))
                n_target += 1
        pool = pools[spk2gender[spk] if same_gender else ""]
        # same-gender pools hold the enrolment speaker's gender, so its utterances are in it
        n_other = len(pool) - len(by_spk[spk])
        want = min(num_nontarget, n_other)
        got, tries = 0, 0
        while got < want and tries < 50 * (want + 1):
            tries += 1
            t = pool[rng.randrange(len(pool))]
            if utt2spk[t] == spk or (e, t) in seen or (t, e) in seen:
                continue
            seen.add((e, t))
            trials.append(Trial(e, t, False))
            got += 1
    return trials


def write_trials(path, trials: Iterable[Trial], fmt: str = "kaldi") -> int:
    """Write trials atomically as ``kaldi`` (``enrol test target``) or ``vox`` (``1 e t``).

    Returns:
        the number of lines written.
    """
    if fmt not in ("kaldi", "vox"):
        raise ValueError(f"unknown trials format '{fmt}'; valid: kaldi, vox")
    n = 0
    with atomic_write(path) as f:
        for t in trials:
            f.write((t.kaldi_line() if fmt == "kaldi" else t.vox_line()) + "\n")
            n += 1
    return n


def read_trials(path) -> Tuple[List[Trial], str]:
    """Read a trials file in either format, detected from the first line.

    Returns:
        (trials, format) with format ``kaldi`` or ``vox``.

    Raises:
        DataDirError: naming ``path:line`` for a malformed line or mixed formats.
    """
    trials: List[Trial] = []
    fmt = ""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                raise DataDirError(f"{path}:{lineno}: empty line")
            if len(fields) != 3:
                raise DataDirError(
                    f"{path}:{lineno}: expected 3 fields ('1|0 enrol test' or "
                    f"'enrol test target|nontarget'), got {len(fields)}"
                )
            if fields[0] in ("0", "1") and fmt in ("", "vox"):
                fmt = "vox"
                trials.append(Trial(fields[1], fields[2], fields[0] == "1"))
            elif fields[2] in ("target", "nontarget") and fmt in ("", "kaldi"):
                fmt = "kaldi"
                trials.append(Trial(fields[0], fields[1], fields[2] == "target"))
            else:
                raise DataDirError(
                    f"{path}:{lineno}: not a trial line"
                    + (f" in {fmt} format" if fmt else "")
                    + f": {line.strip()!r}"
                )
    if not trials:
        raise DataDirError(f"{path}: no trials")
    return trials, fmt


def convert_trials(
    src, dst, key_of: Callable[[str], str], known: Optional[Set[str]] = None
) -> int:
    """Convert a trials file (either format) to Kaldi format with keys mapped by ``key_of``.

    Args:
        src: input trials (VoxCeleb paths or utterance ids).
        dst: output Kaldi ``trials`` file (written atomically).
        key_of: maps an entry of ``src`` to an utterance id (e.g. a VoxCeleb path to
            ``spk-session-utt``).
        known: when given, every mapped key must be in it.

    Returns:
        the number of trials.

    Raises:
        DataDirError: a malformed line or, with ``known``, an utterance missing from the data
        dir (naming ``src:line``).
    """
    trials, _ = read_trials(src)
    out = []
    for lineno, t in enumerate(trials, 1):
        e, s = key_of(t.enrol), key_of(t.test)
        if known is not None:
            for orig, key in ((t.enrol, e), (t.test, s)):
                if key not in known:
                    raise DataDirError(
                        f"{src}:{lineno}: '{orig}' (utterance '{key}') is not in the data dir"
                    )
        out.append(Trial(e, s, t.is_target))
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    return write_trials(dst, out, "kaldi")
