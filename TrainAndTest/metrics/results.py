"""RESULTS.md tables: one row per (system, trial list), rewritten in place.

A row is keyed by its ``system`` and ``trials`` columns; writing a row with the same key
replaces it, so rerunning a scoring stage updates the table instead of appending to it.

Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "RESULTS.md")
    >>> update_results(p, {"system": "cosine", "trials": "test", "EER%": "2.00"})
    >>> update_results(p, {"system": "cosine", "trials": "test", "EER%": "1.50"})
    >>> print(open(p).read().strip())
    # Results
    <BLANKLINE>
    | system | trials | EER% |
    |---|---|---|
    | cosine | test | 1.50 |

Text above the table (the provenance block of :func:`set_preamble`) is kept as it is.
"""

from __future__ import annotations

import os
from typing import Dict, List, Mapping

_HEADER = "# Results\n\n"


def format_row(metrics: Mapping[str, float], p_targets=(0.01, 0.001, 0.05)) -> Dict[str, str]:
    """Table cells from :func:`~TrainAndTest.metrics.error_rates.compute_metrics` output."""
    row = {"EER%": f"{100 * metrics['eer']:.2f}"}
    for p in p_targets:
        row[f"minDCF({p:g})"] = f"{metrics[f'min_dcf@{p:g}']:.4f}"
    for p in p_targets:
        if f"act_dcf@{p:g}" in metrics:
            row[f"actDCF({p:g})"] = f"{metrics[f'act_dcf@{p:g}']:.4f}"
    if "cllr" in metrics:
        row["Cllr"] = f"{metrics['cllr']:.4f}"
    if "min_cllr" in metrics:
        row["min-Cllr"] = f"{metrics['min_cllr']:.4f}"
    row["trials (tar/non)"] = f"{metrics['n_target']}/{metrics['n_nontarget']}"
    return row


def _split(text: str):
    """(text before the table, table lines) of a RESULTS.md; no table: (text, [])."""
    lines = text.splitlines(keepends=True)
    for i, ln in enumerate(lines):
        if ln.strip().startswith("|"):
            return "".join(lines[:i]), lines[i:]
    return text, []


def _parse(text: str) -> List[Dict[str, str]]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("|")]
    if len(lines) < 2:
        return []
    cols = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        rows.append(dict(zip(cols, cells)))
    return rows


def update_results(path, row: Mapping[str, str]) -> None:
    """Insert or replace ``row`` (keyed by its ``system`` and ``trials`` cells) in ``path``.

    Columns are the union of all rows' columns, in first-seen order; missing cells are
    blank. The file is written to a temporary name and renamed.
    """
    if "system" not in row or "trials" not in row:
        raise ValueError("a results row needs 'system' and 'trials' cells")
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    preamble = _split(text)[0] or _HEADER
    rows = _parse(text)
    key = (row["system"], row["trials"])
    new = {k: str(v) for k, v in row.items()}
    for i, r in enumerate(rows):
        if (r.get("system"), r.get("trials")) == key:
            rows[i] = new
            break
    else:
        rows.append(new)
    cols: List[str] = []
    for r in rows:
        cols.extend(c for c in r if c not in cols)
    out = [preamble, "| " + " | ".join(cols) + " |\n", "|" + "---|" * len(cols) + "\n"]
    out += ["| " + " | ".join(r.get(c, "") for c in cols) + " |\n" for r in rows]
    _write(path, "".join(out))


def _write(path, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    os.makedirs(os.path.dirname(os.fspath(path)) or ".", exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def set_preamble(path, text: str) -> None:
    """Make ``text`` the part of ``path`` above the results table (table kept, if any).

    ``text`` must not contain a line starting with ``|`` (that would be read as the
    table); it is written atomically, followed by one blank line.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "RESULTS.md")
        >>> update_results(p, {"system": "cosine", "trials": "test", "EER%": "2.00"})
        >>> set_preamble(p, "# Results\\n\\n- git: abc")
        >>> open(p).read().splitlines()[:4]
        ['# Results', '', '- git: abc', '']
        >>> _parse(open(p).read())
        [{'system': 'cosine', 'trials': 'test', 'EER%': '2.00'}]
    """
    if any(ln.strip().startswith("|") for ln in text.splitlines()):
        raise ValueError(f"{path}: a preamble line starts with '|' (it would be read as the table)")
    table = _split(open(path, encoding="utf-8").read())[1] if os.path.exists(path) else []
    _write(path, text.rstrip("\n") + "\n\n" + "".join(table))


def add_list_means(path, prefix: str = "trials_") -> List[Dict[str, str]]:
    """Add one row per (system, test set) with the mean of its per-list rows.

    Per-list rows are those whose trial list's file name starts with ``prefix`` (minivox:
    ``trials_az``, ``trials_rav``, ...; the full ``trials`` list is not one of them). A
    group of at least two lists gets the row ``<set>/mean(trials_*)`` with the mean of
    every numeric column and the list count; rerunning replaces the rows. Returns them.
    """
    rows = _parse(open(path, encoding="utf-8").read())
    groups: Dict[tuple, List[Dict[str, str]]] = {}
    for r in rows:
        head, _, name = r.get("trials", "").rpartition("/")
        if name.startswith(prefix):
            groups.setdefault((r["system"], head), []).append(r)
    added = []
    for (system, head), members in groups.items():
        if len(members) < 2:
            continue
        row = {"system": system, "trials": f"{head + '/' if head else ''}mean({prefix}*)"}
        for col in members[0]:
            if col in ("system", "trials"):
                continue
            try:
                vals = [float(m[col]) for m in members]
            except (KeyError, ValueError):
                continue
            digits = len(members[0][col].partition(".")[2])
            row[col] = f"{sum(vals) / len(vals):.{digits}f}"
        row["trials (tar/non)"] = f"{len(members)} lists"
        added.append(row)
    for row in added:
        update_results(path, row)
    return added


def read_rows(path) -> List[Dict[str, str]]:
    """The table rows of a RESULTS.md-style file (one dict per row, cells as text).

    Raises:
        OSError: the file cannot be read.
        ValueError: it has no results table.
    """
    rows = _parse(open(path, encoding="utf-8").read())
    if not rows:
        raise ValueError(f"{path}: no results table")
    return rows
