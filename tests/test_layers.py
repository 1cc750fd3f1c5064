"""Imports go one way (STYLE.md rule 21): no cycles, no library -> bin/, no layer inversion.

Every ``.py`` under ``Process_Data/`` and ``TrainAndTest/`` is parsed with ``ast``; every
import counts, also one inside a function, and relative imports are resolved. An import of
a package counts as an edge to its ``__init__`` (whose re-exports are its own edges);
``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.

The layers, lowest first (an import may go down or stay in its layer, never up):

====  ================  ===============================================================
  0   core              registry, Kaldi table I/O, data dirs and the operations that need
                        no audio, jobs, progress, input signatures, embedding/trial I/O
  1   audio             reading wav.scp entries, resampling, speed change; the data-dir
                        operations that read audio (durations, frames, speed copies)
  2   features/augment  features, front end, augmentation, corpus preparation
  3   egs/loaders       egs writing and reading, the training data sources
  4   models/losses     models, pooling, losses, optimisers, metrics (the trainer's
                        periodic EER needs error rates)
  5   trainer           training config (checked against the data sources, front ends
                        and registries), model + loss building, trainer, checkpoints,
                        embedding extraction
  6   backend           scoring back-ends, analysis, diarization, inference
  7   bin               entry points (``*.bin.*``)
====  ================  ===============================================================

A module the table does not place fails the test: a new package gets a layer on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("Process_Data", "TrainAndTest")

LAYER_NAMES = ["core", "audio", "features/augment", "egs/loaders", "models/losses",
               "trainer", "backend", "bin"]
#: module prefix -> layer; the longest matching prefix wins (``bin`` is found by name).
LAYERS: Dict[str, int] = {
    "Process_Data": 0,
    "Process_Data.registry": 0,
    "Process_Data.kaldi_table": 0,
    "Process_Data.data_dir": 0,
    "Process_Data.data_ops": 0,
    "Process_Data.jobs": 0,
    "Process_Data.progress": 0,
    "Process_Data.signature": 0,
    "TrainAndTest": 0,
    "TrainAndTest.io": 0,
    "Process_Data.audio": 1,
    "Process_Data.data_ops.durations": 1,
    "Process_Data.data_ops.frames": 1,
    "Process_Data.data_ops.speed": 1,
    "Process_Data.features": 2,
    "Process_Data.augment": 2,
    "Process_Data.corpora": 2,
    "Process_Data.egs": 3,
    "TrainAndTest.data": 3,
    "TrainAndTest.data_egs": 3,
    "TrainAndTest.models": 4,
    "TrainAndTest.pooling": 4,
    "TrainAndTest.losses": 4,
    "TrainAndTest.optim": 4,
    "TrainAndTest.metrics": 4,
    "TrainAndTest.config": 5,
    "TrainAndTest.components": 5,
    "TrainAndTest.trainer": 5,
    "TrainAndTest.checkpoint": 5,
    "TrainAndTest.embeddings": 5,
    "TrainAndTest.backend": 6,
    "TrainAndTest.analysis": 6,
    "TrainAndTest.diarization": 6,
    "TrainAndTest.inference": 6,
}
BIN_LAYER = len(LAYER_NAMES) - 1

Edge = Tuple[str, str, int]  # (importer, imported, line of the import in the importer)


def find_modules(root: Path, packages=PACKAGES) -> Dict[str, Tuple[Path, bool]]:
    """Dotted module name -> (file, is package ``__init__``) for every ``.py`` below ``root``."""
    mods: Dict[str, Tuple[Path, bool]] = {}
    for top in packages:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_pkg = parts[-1] == "__init__"
            mods[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return mods


def _known(name: str, mods) -> Optional[str]:
    """The longest prefix of ``name`` that is one of ``mods`` (None: outside the packages)."""
    while name:
        if name in mods:
            return name
        name = name.rpartition(".")[0]
    return None


def import_edges(root: Path, packages=PACKAGES) -> List[Edge]:
    """Every import between the packages' modules, with the importer's line number."""
    mods = find_modules(root, packages)
    edges: List[Edge] = []
    for mod, (path, is_pkg) in mods.items():
        pkg = mod if is_pkg else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = [
                    f"{origin}.{a.name}" if f"{origin}.{a.name}" in mods else origin
                    for a in node.names
                ]
            for target in targets:
                known = _known(target, mods)
                if known is not None and known != mod:
                    edges.append((mod, known, node.lineno))
    return sorted(set(edges))


def find_cycles(edges: List[Edge]) -> List[List[str]]:
    """One cycle (a list of modules, first repeated last) per strongly connected component."""
    graph: Dict[str, Set[str]] = {}
    for a, b, _ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    components: List[List[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph is a few hundred modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in components:
        members = set(comp)
        start, path, seen = comp[0], [comp[0]], {comp[0]: 0}
        while True:  # walk inside the component until a module repeats
            nxt = sorted(w for w in graph[path[-1]] if w in members)[0]
            if nxt in seen:
                cycles.append(path[seen[nxt]:] + [nxt])
                break
            seen[nxt] = len(path)
            path.append(nxt)
        del start
    return cycles


def is_bin(mod: str) -> bool:
    """True for entry-point modules (a ``bin`` package component)."""
    return "bin" in mod.split(".")[1:]


def layer_of(mod: str, table: Dict[str, int] = LAYERS) -> Optional[int]:
    """The layer of ``mod`` (None when the table does not place it).

    A top-level package name places only the package ``__init__``; any other prefix also
    places everything below it.
    """
    if is_bin(mod):
        return BIN_LAYER
    matches = [
        p for p in table
        if mod == p or (p not in PACKAGES and mod.startswith(p + "."))
    ]
    return table[max(matches, key=len)] if matches else None


def _where(root: Path, mod: str, line: int) -> str:
    """``path:line`` of an import in ``mod``."""
    path = root.joinpath(*mod.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return f"{path.relative_to(root)}:{line}"


def bin_imports(edges: List[Edge]) -> List[Edge]:
    """Edges from a library (non-bin) module to a bin module."""
    return [(a, b, n) for a, b, n in edges if is_bin(b) and not is_bin(a)]


def inversions(edges: List[Edge]) -> List[Tuple[Edge, int, int]]:
    """Edges that import a higher layer, with both layers."""
    out = []
    for a, b, n in edges:
        la, lb = layer_of(a), layer_of(b)
        if la is not None and lb is not None and lb > la:
            out.append(((a, b, n), la, lb))
    return out


# ----------------------------------------------------------------------------------------
# The recipe's own import graph
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edges() -> List[Edge]:
    return import_edges(REPO)


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in find_modules(REPO) if layer_of(m) is None)
    assert not unplaced, (
        "modules without a layer (add their package to LAYERS in tests/test_layers.py): "
        + ", ".join(unplaced)
    )


def test_no_import_cycles(edges):
    cycles = find_cycles(edges)
    lines = {(a, b): n for a, b, n in edges}
    shown = [
        " -> ".join(f"{m} ({_where(REPO, m, lines[(m, c[i + 1])])})" if i + 1 < len(c) else m
                    for i, m in enumerate(c))
        for c in cycles
    ]
    assert not cycles, "import cycles:\n  " + "\n  ".join(shown)


def test_no_library_module_imports_bin(edges):
    bad = bin_imports(edges)
    assert not bad, "library modules importing bin/ modules (move the code into the library):\n  " + "\n  ".join(
        f"{_where(REPO, a, n)}: {a} imports {b}" for a, b, n in bad
    )


def test_imports_go_down_the_layers(edges):
    bad = inversions(edges)
    assert not bad, "imports up the layers (STYLE.md rule 21):\n  " + "\n  ".join(
        f"{_where(REPO, a, n)}: {a} ({LAYER_NAMES[la]}) imports {b} ({LAYER_NAMES[lb]})"
        for (a, b, n), la, lb in bad
    )


# ----------------------------------------------------------------------------------------
# The checker itself, on tiny trees: it must see what it is meant to see
# ----------------------------------------------------------------------------------------


def _tree(root: Path, files: Dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_checker_finds_a_cycle_through_a_function_level_relative_import(tmp_path):
    _tree(tmp_path, {
        "Process_Data/__init__.py": "",
        "Process_Data/audio.py": "def f():\n    from .augment import chain\n",
        "Process_Data/augment/__init__.py": "",
        "Process_Data/augment/chain.py": "from Process_Data import audio\n",
    })
    edges = import_edges(tmp_path)
    assert ("Process_Data.audio", "Process_Data.augment.chain", 2) in edges
    assert find_cycles(edges) == [
        ["Process_Data.audio", "Process_Data.augment.chain", "Process_Data.audio"]
    ]
    assert inversions(edges)[0][0][:2] == ("Process_Data.audio", "Process_Data.augment.chain")


def test_checker_finds_library_to_bin_and_package_reexports(tmp_path):
    _tree(tmp_path, {
        "TrainAndTest/__init__.py": "",
        "TrainAndTest/models/__init__.py": "from TrainAndTest.models.tdnn import Tdnn\n",
        "TrainAndTest/models/tdnn.py": "import TrainAndTest.bin.train\n",
        "TrainAndTest/bin/__init__.py": "",
        "TrainAndTest/bin/train.py": "from ..models import Tdnn\n",
    })
    edges = import_edges(tmp_path)
    assert ("TrainAndTest.models", "TrainAndTest.models.tdnn", 1) in edges
    assert ("TrainAndTest.bin.train", "TrainAndTest.models", 1) in edges
    assert bin_imports(edges) == [("TrainAndTest.models.tdnn", "TrainAndTest.bin.train", 1)]
    assert find_cycles(edges) == [["TrainAndTest.bin.train", "TrainAndTest.models",
                                   "TrainAndTest.models.tdnn", "TrainAndTest.bin.train"]]


def test_layer_table():
    assert layer_of("Process_Data") == 0
    assert layer_of("Process_Data.data_ops.split") == 0
    assert layer_of("Process_Data.data_ops.durations") == 1
    assert layer_of("Process_Data.features.frontend") == 2
    assert layer_of("TrainAndTest.data.egs") == 3
    assert layer_of("TrainAndTest.data_egs") == 3
    assert layer_of("TrainAndTest.bin.train") == BIN_LAYER
    assert layer_of("TrainAndTest.nowhere") is None
