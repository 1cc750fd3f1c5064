"""RIRS_NOISES ``rir_list`` files -> data dirs of room impulse responses with room ids.

A ``rir_list`` line is ``--rir-id <id> --room-id <room> <path>`` (other ``--name value``
pairs are kept in the copy but not needed), with ``<path>`` relative to the folder that
holds ``RIRS_NOISES/``. Paths are resolved against the given root whatever its own folder
name is (``RIRS_NOISES_mini/`` works).

Each set (``real``: ``real_rirs_isotropic_noises/rir_list``; ``simulated``:
``simulated_rirs/*/rir_list``) becomes ``<prefix>_<set>`` with ``wav.scp``, ``utt2spk``
(impulse response -> room, so a speaker is a room), ``spk2utt``, ``utt2dur``, ``rir2room``
(original ids) and ``rir_list`` (the lines with absolute paths). The utterance id is the
rir id when it starts with its room id, else ``<room>-<rir>`` (Kaldi wants the speaker as a
prefix).

Example (shell): ``python -m Process_Data.bin.make_rirs /corpora/RIRS_NOISES data``
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, NamedTuple, Sequence

from Process_Data.corpora.common import (
    CorpusError,
    build_tables,
    check_audio,
    read_lines,
    write_data_dir,
)

#: set name -> glob of its rir_list files under the root.
SETS = {
    "real": "real_rirs_isotropic_noises/rir_list",
    "simulated": "simulated_rirs/*/rir_list",
}


class Rir(NamedTuple):
    """One ``rir_list`` entry."""

    rir_id: str
    room_id: str
    path: str
    options: str


def parse_rir_list(path, root) -> List[Rir]:
    """Read a ``rir_list``, resolving audio paths against ``root`` (the RIRS_NOISES folder).

    Raises:
        CorpusError: a line without ``--rir-id``/``--room-id``/path (names ``path:line``).
    """
    root = Path(root).resolve()
    out = []
    for lineno, f in read_lines(path, 5):
        opts: Dict[str, str] = {}
        i = 0
        while i < len(f) - 1 and f[i].startswith("--"):
            opts[f[i]] = f[i + 1]
            i += 2
        if i != len(f) - 1 or "--rir-id" not in opts or "--room-id" not in opts:
            raise CorpusError(
                f"{path}:{lineno}: expected '--rir-id X --room-id Y [--opt v ...] path'"
            )
        rel = Path(f[-1])
        # the list's paths start with the corpus folder name ("RIRS_NOISES/...")
        cands = [root.parent / rel, root / Path(*rel.parts[1:]) if len(rel.parts) > 1 else rel]
        resolved = next((c for c in cands if c.is_file()), cands[-1])
        other = " ".join(f"{k} {v}" for k, v in opts.items() if k not in ("--rir-id", "--room-id"))
        out.append(Rir(opts["--rir-id"], opts["--room-id"], str(resolved), other))
    return out


def rir_utt_id(rir: Rir) -> str:
    """Utterance id of an impulse response (room id as prefix)."""
    return rir.rir_id if rir.rir_id.startswith(rir.room_id) else f"{rir.room_id}-{rir.rir_id}"


def prepare_rirs(
    root, out_dir, prefix: str = "rirs", sets: Sequence[str] = ("real", "simulated"),
    num_threads: int = 8, log=print,
) -> Dict[str, Path]:  # fmt: skip
    """Prepare one data dir per RIR set.

    Args:
        root: the RIRS_NOISES folder.
        out_dir: parent of the data dirs.
        prefix: data-dir name prefix (``<prefix>_real``, ``<prefix>_simulated``).
        sets: which sets (``real``, ``simulated``).
        num_threads: threads for the audio checks.
        log: progress printer.

    Returns:
        set -> data dir path.

    Raises:
        CorpusError: unknown set, missing rir_list, bad line, duplicate id, bad audio.
    """
    root = Path(root)
    out = {}
    for name in sets:
        if name not in SETS:
            raise CorpusError(f"unknown RIR set '{name}'; valid: {', '.join(SETS)}")
        lists = sorted(root.glob(SETS[name]))
        if not lists:
            raise CorpusError(f"{root}/{SETS[name]}: no rir_list found")
        rirs: Dict[str, Rir] = {}
        for lst in lists:
            for r in parse_rir_list(lst, root):
                utt = rir_utt_id(r)
                if utt in rirs:
                    raise CorpusError(f"{lst}: rir id '{r.rir_id}' listed twice")
                rirs[utt] = r
        durs = check_audio([r.path for r in rirs.values()], num_threads)
        utts = sorted(rirs)
        extra = {
            "rir2room": "".join(f"{rirs[u].rir_id} {rirs[u].room_id}\n" for u in utts),
            "rir_list": "".join(
                f"--rir-id {rirs[u].rir_id} --room-id {rirs[u].room_id} "
                + (rirs[u].options + " " if rirs[u].options else "") + f"{rirs[u].path}\n"
                for u in utts
            ),
        }
        tables = build_tables({u: rirs[u].path for u in utts},
                              {u: rirs[u].room_id for u in utts}, durs)  # fmt: skip
        out[name] = write_data_dir(Path(out_dir) / f"{prefix}_{name}", tables, extra, log)
    return out


