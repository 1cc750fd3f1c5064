"""A calibration split of a training set: held-out speakers with their own trial list.

Score calibration needs labelled trials that the back-end has not seen. This module draws
them from the *training* speakers (never test speakers): a seeded fraction of the speakers
of each domain (``utt2domain``, e.g. minivox's source corpus; one group without it) goes to
``<calib>`` with a Vox1-O style ``trials`` list, the rest to ``<rest>``, which is what the
back-end statistics (PLDA, the AS-norm cohort, domain means) are computed on. Non-target
trials pair speakers of the same domain when there are domains, as the per-corpus test lists
do, so the calibration sees the score range it will be used on, and each held-out speaker
enrols with at most ``enrol_per_speaker`` utterances, so that a domain with many utterances
per speaker does not outweigh the others in the fit.

Example:
    >>> spk2domain = {f"s{i}": ("a" if i < 30 else "b") for i in range(40)}
    >>> held = choose_heldout_speakers(spk2domain, fraction=0.1, seed=0)
    >>> len(held), sum(spk2domain[s] == "b" for s in held)  # 3 of a's 30, 2 (the minimum) of b's 10
    (5, 2)
    >>> held == choose_heldout_speakers(spk2domain, fraction=0.1, seed=0)
    True
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple

from Process_Data.corpora.trials import make_trials, write_trials
from Process_Data.data_dir import DataDirError, PathLike, kaldi_sort_key, read_kv
from Process_Data.data_ops.staging import check_distinct, load_valid, save_checked, staged_dir


class CalibrationSplit(NamedTuple):
    """What :func:`make_calibration_split` wrote."""

    heldout_speakers: List[str]
    rest_speakers: int
    num_target: int
    num_nontarget: int


def choose_heldout_speakers(
    spk2domain: Mapping[str, str], fraction: float = 0.1, seed: int = 0, min_per_domain: int = 2
) -> List[str]:
    """A seeded choice of ``fraction`` of the speakers of each domain (C order).

    Each domain gives ``max(min_per_domain, round(fraction * n))`` of its ``n`` speakers, and
    none when that would leave it no speaker for the back-end statistics.

    Args:
        spk2domain: speaker -> domain (one domain for all speakers: a plain fraction).
        fraction: share of each domain's speakers held out, in (0, 1).
        seed: random seed; the same inputs and seed give the same speakers.
        min_per_domain: at least this many per domain (non-target trials need two).

    Returns:
        The held-out speakers, sorted in C order.

    Raises:
        ValueError: a fraction outside (0, 1).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"the held-out fraction must be in (0, 1), got {fraction}")
    by_domain: Dict[str, List[str]] = {}
    for spk in sorted(spk2domain, key=kaldi_sort_key):
        by_domain.setdefault(spk2domain[spk], []).append(spk)
    held: List[str] = []
    for domain in sorted(by_domain, key=kaldi_sort_key):
        spks = by_domain[domain]
        k = max(min_per_domain, round(fraction * len(spks)))
        if k >= len(spks):
            continue
        order = list(spks)
        random.Random(f"{seed}:{domain}").shuffle(order)
        held.extend(order[:k])
    return sorted(held, key=kaldi_sort_key)


def speaker_domains(utt2spk: Mapping[str, str], utt2domain: Mapping[str, str]) -> Dict[str, str]:
    """Speaker -> its most frequent domain (ties: the first in C order).

    Example:
        >>> speaker_domains({"a-1": "a", "a-2": "a", "b-1": "b"},
        ...                 {"a-1": "x", "a-2": "x", "b-1": "y"})
        {'a': 'x', 'b': 'y'}
    """
    counts: Dict[str, Counter] = {}
    for utt, spk in utt2spk.items():
        counts.setdefault(spk, Counter())[utt2domain.get(utt, "")] += 1
    return {s: min(c, key=lambda d: (-c[d], kaldi_sort_key(d))) for s, c in counts.items()}


def enrolment_utts(utt2spk: Mapping[str, str], per_speaker: int, seed: int = 0) -> List[str]:
    """A seeded choice of at most ``per_speaker`` utterances of every speaker (0: all).

    Example:
        >>> utts = enrolment_utts({"a-1": "a", "a-2": "a", "a-3": "a", "b-1": "b"}, 2)
        >>> len([u for u in utts if u.startswith("a")]), [u for u in utts if u.startswith("b")]
        (2, ['b-1'])
    """
    by_spk: Dict[str, List[str]] = {}
    for utt in sorted(utt2spk, key=kaldi_sort_key):
        by_spk.setdefault(utt2spk[utt], []).append(utt)
    chosen: List[str] = []
    for spk, utts in by_spk.items():
        if per_speaker <= 0 or len(utts) <= per_speaker:
            chosen.extend(utts)
        else:
            chosen.extend(random.Random(f"{seed}:{spk}").sample(utts, per_speaker))
    return sorted(chosen, key=kaldi_sort_key)


def make_calibration_split(
    train: PathLike,
    calib: PathLike,
    rest: PathLike,
    fraction: float = 0.1,
    seed: int = 0,
    num_target: int = 5,
    num_nontarget: int = 5,
    enrol_per_speaker: int = 10,
) -> CalibrationSplit:
    """Write ``calib`` (held-out training speakers, with ``trials``) and ``rest`` (the others).

    Args:
        train: the training data dir (``utt2spk``; ``utt2domain`` when it has domains).
        calib, rest: output data dirs, each replaced atomically (every table follows the
            utterances, ``conf/`` is carried); ``calib/trials`` is Kaldi format, and with
            two or more domains ``calib/trials_<domain>`` holds that domain's part of it
            (the validation split's counterpart of minivox's per-corpus test lists).
        fraction, seed: see :func:`choose_heldout_speakers` (at least 2 per domain).
        num_target, num_nontarget: trials per enrolment utterance
            (:func:`Process_Data.corpora.trials.make_trials`); non-targets within the domain.
        enrol_per_speaker: enrolment utterances per held-out speaker (a seeded choice; all
            of a speaker with fewer), so that every speaker weighs about the same in the fit
            however many utterances it has (0: every utterance enrols).

    Returns:
        A :class:`CalibrationSplit`.

    Raises:
        DataDirError: naming ``train`` when fewer than 2 speakers would be held out or left.
    """
    train, calib, rest = Path(train), Path(calib), Path(rest)
    for dest in (calib, rest):
        check_distinct(train, dest)
    dd = load_valid(train)
    utt2domain = read_kv(train / "utt2domain") if (train / "utt2domain").is_file() else {}
    spk2domain = speaker_domains(dd.utt2spk, utt2domain)
    held = choose_heldout_speakers(spk2domain, fraction, seed)
    n_rest = len(spk2domain) - len(held)
    if len(held) < 2 or n_rest < 2:
        raise DataDirError(
            f"{train}: {len(spk2domain)} speakers are too few for a calibration split "
            f"({len(held)} held out, {n_rest} left; each side needs 2)"
        )
    held_set = set(held)
    keep = {True: [], False: []}
    for utt in dd.utts:
        keep[dd.utt2spk[utt] in held_set].append(utt)
    for dest, utts in ((calib, keep[True]), (rest, keep[False])):
        with staged_dir(dest) as tmp:
            save_checked(dd.subset(utts), tmp, src=train)
    calib_utt2spk = {u: dd.utt2spk[u] for u in keep[True]}
    trials = make_trials(calib_utt2spk, num_target, num_nontarget, seed=seed,
                         spk2gender=spk2domain, same_gender=bool(utt2domain),
                         enrol_utts=enrolment_utts(calib_utt2spk, enrol_per_speaker, seed))
    write_trials(calib / "trials", trials)
    domains = sorted(set(spk2domain[s] for s in held), key=kaldi_sort_key)
    if len(domains) > 1:  # one list per domain, named like the per-corpus test lists
        for domain in domains:
            write_trials(calib / f"trials_{domain}",
                         [t for t in trials if spk2domain[calib_utt2spk[t.enrol]] == domain])
    n_tar = sum(t.is_target for t in trials)
    return CalibrationSplit(held, n_rest, n_tar, len(trials) - n_tar)
