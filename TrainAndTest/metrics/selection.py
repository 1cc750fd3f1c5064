"""Choices made on the validation split: the back-end system and its grid settings.

The recipe scores the validation split (training speakers held out of training and of the
back-end statistics) with every system, and the grid systems once per candidate value
(``plda_adapt_w1``, ``plda_adapt_w3``, ... for the domain weight). This module reads that
VALIDATION.md table and chooses, by the criterion row of each system (the mean over the
per-domain lists ``trials_*`` when there are two or more, else the full ``trials`` list;
with several validation sets, e.g. the split and its telephone copy, the mean of each
set's criterion):

* for a grid ``<base>_w<value>``: the value with the lowest EER (ties: lower minDCF(0.01),
  then the smaller value), reported as ``<base>`` from then on;
* the system with the lowest EER among the plain systems and the chosen grid values.

Test lists never enter: the recipe scores them only after the choice, with it.

Example:
    >>> rows = [{"system": "cosine", "trials": "v/trials", "EER%": "9.00", "minDCF(0.01)": "0.8"},
    ...         {"system": "plda_adapt_w1", "trials": "v/trials", "EER%": "8.00", "minDCF(0.01)": "0.7"},
    ...         {"system": "plda_adapt_w3", "trials": "v/trials", "EER%": "7.50", "minDCF(0.01)": "0.7"}]
    >>> s = choose(rows, grids={"plda_adapt": "domain_weight"})
    >>> s["system"], s["domain_weight"], s["criterion"]
    ('plda_adapt', 3, 'v/trials')
"""

from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

_GRID = re.compile(r"^(?P<base>.+)_w(?P<value>\d+)$")


def criterion_rows(rows: Sequence[Mapping[str, str]]) -> Dict[str, Mapping[str, str]]:
    """System -> the row it is judged by: ``<set>/mean(trials_*)`` if present, else
    ``<set>/trials``; with rows of several sets, a row ``mean(<set>/..., <set>/...)`` holding
    the mean EER and minDCF(0.01) of each set's row.

    Raises:
        ValueError: a system with neither row in a set (names the system and set), or a
        system without rows in every set of the table.
    """
    by_system: Dict[str, Dict[str, Dict[str, Mapping[str, str]]]] = {}
    sets: List[str] = []
    for r in rows:
        vset, _, name = r.get("trials", "").rpartition("/")
        if vset not in sets:
            sets.append(vset)
        by_system.setdefault(r["system"], {}).setdefault(vset, {})[name] = r
    out: Dict[str, Mapping[str, str]] = {}
    for system, per_set in by_system.items():
        if len(per_set) != len(sets):
            raise ValueError(f"validation results have rows of {', '.join(sets)} but system "
                             f"{system} only of {', '.join(per_set)}")
        chosen = []
        for vset in sets:
            lists = per_set[vset]
            row = lists.get("mean(trials_*)") or lists.get("trials")
            if row is None:
                raise ValueError(f"validation results have no 'trials' or 'mean(trials_*)' row "
                                 f"for system {system} (rows: {', '.join(sorted(lists))})")
            chosen.append(row)
        if len(chosen) == 1:
            out[system] = chosen[0]
            continue
        dcfs = [float(r.get("minDCF(0.01)") or "inf") for r in chosen]
        out[system] = {"system": system,
                       "trials": f"mean({', '.join(r['trials'] for r in chosen)})",
                       "EER%": f"{sum(float(r['EER%']) for r in chosen) / len(chosen):.4f}",
                       "minDCF(0.01)": f"{sum(dcfs) / len(dcfs):.4f}"}
    return out


def _key(row: Mapping[str, str]) -> Tuple[float, float]:
    return float(row["EER%"]), float(row.get("minDCF(0.01)") or "inf")


def choose(rows: Sequence[Mapping[str, str]], grids: Optional[Mapping[str, str]] = None,
           systems: Optional[Sequence[str]] = None) -> Dict[str, object]:
    """The choices (see the module docstring) as a dict.

    Args:
        rows: VALIDATION.md rows (``system``, ``trials``, ``EER%``, ``minDCF(0.01)``).
        grids: grid base name -> the setting its ``_w<value>`` suffix is (e.g.
            ``{"plda_adapt": "domain_weight"}``).
        systems: candidate systems (after grid resolution); default: every system present.

    Returns:
        ``{"system", "criterion", "eer", "candidates": {system: EER}, "runner_up": the
        next best system (when there are two or more), <setting>: value,
        "<setting>_candidates": {value: EER}}``.

    Raises:
        ValueError: no candidate system, or a named system missing from the rows.
    """
    grids = dict(grids or {})
    crit = criterion_rows(rows)
    resolved: Dict[str, Mapping[str, str]] = {}
    out: Dict[str, object] = {}
    grid_rows: Dict[str, List[Tuple[int, Mapping[str, str]]]] = {}
    for system, row in crit.items():
        m = _GRID.match(system)
        if m and m.group("base") in grids:
            grid_rows.setdefault(m.group("base"), []).append((int(m.group("value")), row))
        else:
            resolved[system] = row
    for base, cands in grid_rows.items():
        value, row = min(cands, key=lambda vr: (_key(vr[1]), vr[0]))
        setting = grids[base]
        out[setting] = value
        out[f"{setting}_candidates"] = {v: float(r["EER%"]) for v, r in sorted(cands)}
        resolved[base] = row
    wanted = list(systems) if systems else list(resolved)
    missing = [s for s in wanted if s not in resolved]
    if missing:
        raise ValueError(f"validation results have no rows for {', '.join(missing)} "
                         f"(have: {', '.join(sorted(resolved))})")
    if not wanted:
        raise ValueError("no system to choose from in the validation results")
    ranked = sorted(wanted, key=lambda s: (_key(resolved[s]), wanted.index(s)))
    best = ranked[0]
    out.update(system=best, criterion=resolved[best]["trials"], eer=float(resolved[best]["EER%"]),
               candidates={s: float(resolved[s]["EER%"]) for s in wanted})
    if len(ranked) > 1:  # the next best: what the choice has to be told apart from
        out["runner_up"] = ranked[1]
    return out


def describe(chosen: Mapping[str, object]) -> str:
    """One line naming the choices of :func:`choose` and the validation EERs behind them.

    Example:
        >>> describe({"system": "plda", "criterion": "v/trials", "eer": 7.5,
        ...           "candidates": {"cosine": 9.0, "plda": 7.5}})
        'system plda (validation EER% on v/trials: cosine 9.00, plda 7.50)'
    """
    def fmt(cands: Mapping[object, float]) -> str:
        return ", ".join(f"{k} {float(v):.2f}" for k, v in cands.items())

    parts = [f"system {chosen['system']} (validation EER% on {chosen['criterion']}: "
             f"{fmt(chosen['candidates'])})"]
    for key, value in chosen.items():
        cands = chosen.get(f"{key}_candidates")
        if isinstance(cands, Mapping):
            parts.append(f"{key} {value} (validation EER% by value: {fmt(cands)})")
    return "; ".join(parts)
