"""Slurm node lists (``SLURM_JOB_NODELIST``): expanding them and finding a node's address.

A Slurm job sees its nodes as a compressed host list such as ``gpu[01-03,07],login2``.
:func:`hostnames` expands it with ``scontrol show hostnames`` when ``scontrol`` is on PATH
(it knows every form Slurm writes) and otherwise with :func:`expand_nodelist`, a parser for
the usual forms: comma-separated names, each with at most one bracket group of numbers and
zero-padded ranges (``node[1-3]``, ``gpu[001-002,010]-ib``). Anything else is an error that
says so, never a wrong guess.

:func:`node_address` is the address other nodes use to reach a node: the ``NodeAddr`` that
``scontrol show node`` reports (it differs from the name when several Slurm nodes share one
host, or when names are not in DNS), else the name itself.

Standard library only, like the rest of :mod:`Process_Data.jobs`.

Example:
    >>> expand_nodelist("gpu[01-03,07],login2")
    ['gpu01', 'gpu02', 'gpu03', 'gpu07', 'login2']
    >>> expand_nodelist("node[8-10]-ib")
    ['node8-ib', 'node9-ib', 'node10-ib']
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import List, Optional

_NAME_RE = re.compile(r"^([^\[\],]*)(?:\[([0-9,\-]+)\])?([^\[\],]*)$")


class NodeListError(ValueError):
    """A node list that cannot be expanded; the message quotes it."""


def _split_top_level(text: str) -> List[str]:
    """Split on commas that are not inside brackets."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise NodeListError(f"unbalanced ']' in node list {text!r}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise NodeListError(f"unbalanced '[' in node list {text!r}")
    parts.append("".join(current))
    return parts


def expand_nodelist(text: str) -> List[str]:
    """Expand a Slurm host list without Slurm (the fallback of :func:`hostnames`).

    Args:
        text: e.g. ``"host[1-3],other"``; each comma-separated name may hold one bracket
            group of numbers and ranges, with the width of a zero-padded start kept.

    Returns:
        The host names in order (duplicates kept, as Slurm does).

    Raises:
        NodeListError: empty, unbalanced, nested or several bracket groups in one name,
            a range that runs backwards, or anything but digits, commas and dashes inside
            brackets.

    Example:
        >>> expand_nodelist("n[009-011]")
        ['n009', 'n010', 'n011']
        >>> expand_nodelist("a,b")
        ['a', 'b']
    """
    text = text.strip()
    if not text:
        raise NodeListError("empty node list")
    hosts: List[str] = []
    for part in _split_top_level(text):
        match = _NAME_RE.match(part)
        if not part or not match:
            raise NodeListError(
                f"cannot expand {part!r} of node list {text!r} without scontrol "
                "(only name[1-3,5]suffix forms are understood)"
            )
        prefix, ranges, suffix = match.groups()
        if ranges is None:
            hosts.append(part)
            continue
        for item in ranges.split(","):
            low, dash, high = item.partition("-")
            if not low.isdigit() or (dash and not high.isdigit()):
                raise NodeListError(f"bad range {item!r} in node list {text!r}")
            high = high if dash else low
            if int(high) < int(low):
                raise NodeListError(f"range {item!r} runs backwards in node list {text!r}")
            width = len(low) if low.startswith("0") else 0
            hosts.extend(f"{prefix}{n:0{width}d}{suffix}" for n in range(int(low), int(high) + 1))
    return hosts


def _scontrol(args: List[str]) -> Optional[str]:
    """stdout of ``scontrol <args>``, or None when scontrol is missing or fails."""
    if shutil.which("scontrol") is None:
        return None
    try:
        out = subprocess.run(
            ["scontrol", *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def hostnames(text: str) -> List[str]:
    """Expand a node list: ``scontrol show hostnames`` when available, else :func:`expand_nodelist`.

    Raises:
        NodeListError: scontrol is unavailable (or fails) and the fallback parser cannot
            read the list.
    """
    out = _scontrol(["show", "hostnames", text])
    if out is not None and out.split():
        return out.split()
    return expand_nodelist(text)


def node_address(name: str) -> str:
    """The address to reach Slurm node ``name``: its ``NodeAddr``, or the name when unknown.

    Example:
        >>> node_address("no-such-node-anywhere")
        'no-such-node-anywhere'
    """
    out = _scontrol(["show", "node", "-o", name])
    if out:
        match = re.search(r"\bNodeAddr=(\S+)", out)
        if match and match.group(1) not in ("(null)", ""):
            return match.group(1)
    return name
