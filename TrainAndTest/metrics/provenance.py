"""Where a RESULTS.md table comes from: code, config, front end, data, trial lists, machine.

:func:`provenance_lines` gathers it as Markdown bullet lines (no table lines, so the
results table below stays the only table) for :func:`TrainAndTest.metrics.results.set_preamble`:

- the git sha of the code that wrote the report and whether its tracked files were
  modified (dirty), and the sha the model was trained at (``environment.yaml``);
- the training config's name and sha256, and the command-line overrides;
- the front end recorded in the experiment's resolved ``config.yaml`` (``frontend:``),
  or ``(not recorded)``;
- the training data dir's speakers, utterances and hours;
- every trial list: ``<set>/<file>``, its line count and sha256; VoxCeleb1 lists are
  named with their official file and cleaned/original, and a list identical to another
  says so, so a cleaned and an original Vox1 list cannot be mistaken for each other;
- the machine: training host, GPUs and torch (``environment.yaml``) and the CPU that
  wrote the report.

Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for name, text in [("utt2spk", "a-1 a\\nb-1 b\\n"), ("utt2dur", "a-1 1800\\nb-1 1800\\n")]:
    ...     _ = open(os.path.join(d, name), "w").write(text)
    >>> data_size(d)
    '2 speakers, 2 utterances, 1.00 h'
    >>> trial_list_label("data/voxceleb1_test/trials_vox1_o")
    'voxceleb1_test/trials_vox1_o: VoxCeleb1-O original (veri_test.txt)'
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

PathLike = Union[str, os.PathLike]

#: VoxCeleb1 trials file name -> what it is (Process_Data.corpora.voxceleb1.OFFICIAL_LISTS).
_VOX1_NAMES = {
    "trials_vox1_o_clean": "VoxCeleb1-O cleaned (veri_test2.txt)",
    "trials_vox1_o": "VoxCeleb1-O original (veri_test.txt)",
    "trials_vox1_e_clean": "VoxCeleb1-E cleaned (list_test_all2.txt)",
    "trials_vox1_e": "VoxCeleb1-E original (list_test_all.txt)",
    "trials_vox1_h_clean": "VoxCeleb1-H cleaned (list_test_hard2.txt)",
    "trials_vox1_h": "VoxCeleb1-H original (list_test_hard.txt)",
}


def sha256(path: PathLike, length: int = 12) -> str:
    """The first ``length`` hex digits of a file's sha256."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:length]


def count_lines(path: PathLike) -> int:
    """Number of lines of a text file (a last line without newline counts)."""
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def git_state(repo: Optional[PathLike] = None) -> str:
    """``<sha> (clean)`` or ``<sha> (dirty: N tracked files modified)``; ``unknown``.

    Untracked files do not make the tree dirty (data/ and exp/ are ignored anyway).
    """
    repo = Path(repo) if repo else Path(__file__).resolve().parents[2]

    def git(*args: str) -> Optional[str]:
        try:
            proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                                  check=False, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout if proc.returncode == 0 else None

    sha = (git("rev-parse", "HEAD") or "").strip()
    if not sha:
        return "unknown (not a git checkout)"
    status = git("status", "--porcelain", "--untracked-files=no")
    if status is None:
        return f"{sha} (dirty state unknown)"
    changed = [ln for ln in status.splitlines() if ln.strip()]
    return f"{sha} (dirty: {len(changed)} tracked files modified)" if changed else f"{sha} (clean)"


def _read_yaml(path: Path) -> Optional[Dict[str, Any]]:
    import yaml

    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return data if isinstance(data, dict) else None


def format_frontend(frontend: Optional[Mapping[str, Any]]) -> str:
    """One line for a ``frontend:`` mapping (feature, feature_args, sample_rate, vad, cmn).

    Example:
        >>> format_frontend({"feature": "fbank", "feature_args": ["--num-mel-bins=80"],
        ...                  "sample_rate": 16000, "vad": False, "cmn": "sliding",
        ...                  "cmn_window": 300})
        'fbank --num-mel-bins=80, 16000 Hz, VAD off, CMN sliding (window 300)'
        >>> format_frontend(None)
        '(not recorded)'
        >>> format_frontend({"feature": "", "cmn": "none"})
        'feature (not recorded), CMN none'
    """
    if not frontend:
        return "(not recorded)"
    feature = frontend.get("feature") or "feature (not recorded)"
    parts = [" ".join([str(feature)] + [str(a) for a in frontend.get("feature_args") or []])]
    if frontend.get("sample_rate"):
        parts.append(f"{frontend['sample_rate']} Hz")
    vad = frontend.get("vad")
    if vad is not None:
        vad_args = " ".join(str(a) for a in frontend.get("vad_args") or [])
        parts.append(("VAD on" + (f" {vad_args}" if vad_args else "")) if vad else "VAD off")
    cmn = frontend.get("cmn")
    if cmn is not None:
        window = frontend.get("cmn_window")
        parts.append(f"CMN {cmn}" + (f" (window {window})" if cmn == "sliding" and window else ""))
    return ", ".join(parts)


def data_size(data_dir: PathLike, frame_shift: float = 0.01) -> str:
    """``N speakers, M utterances, H.HH h`` of a data dir.

    Hours come from ``utt2dur`` when it covers every utterance, else from
    ``utt2num_frames`` times ``frame_shift``; otherwise they are ``hours unknown``.

    Raises:
        FileNotFoundError: no ``utt2spk``.
    """
    d = Path(data_dir)
    utt2spk = d / "utt2spk"
    if not utt2spk.is_file():
        raise FileNotFoundError(f"{utt2spk}: no such file (training data dir of the report)")
    utts, speakers = set(), set()
    for ln in open(utt2spk, encoding="utf-8"):
        f = ln.split()
        if len(f) >= 2:
            utts.add(f[0])
            speakers.add(f[1])

    def total(name: str, scale: float) -> Optional[float]:
        p = d / name
        if not p.is_file():
            return None
        seen, s = 0, 0.0
        for ln in open(p, encoding="utf-8"):
            f = ln.split()
            if len(f) >= 2 and f[0] in utts:
                seen += 1
                s += float(f[1]) * scale
        return s if seen == len(utts) else None

    seconds = total("utt2dur", 1.0)
    if seconds is None:
        seconds = total("utt2num_frames", frame_shift)
    hours = f"{seconds / 3600:.2f} h" if seconds is not None else "hours unknown"
    return f"{len(speakers)} speakers, {len(utts)} utterances, {hours}"


def trial_list_label(path: PathLike) -> str:
    """``<set>/<file>``, with what a VoxCeleb1 list is (official file, cleaned/original)."""
    p = Path(path)
    label = f"{p.parent.name}/{p.name}"
    return f"{label}: {_VOX1_NAMES[p.name]}" if p.name in _VOX1_NAMES else label


def trial_list_lines(paths: Sequence[PathLike]) -> List[str]:
    """One bullet per trial list: label, lines, sha256, and the list it duplicates."""
    out, seen = [], {}
    for path in paths:
        digest = sha256(path)
        line = f"  - {trial_list_label(path)}: {count_lines(path)} lines, sha256 {digest}"
        p = Path(path)
        if digest in seen:
            line += f" (same content as {seen[digest]})"
        else:
            seen[digest] = f"{p.parent.name}/{p.name}"
        out.append(line)
    return out


def _cpu_name() -> str:
    try:
        for ln in open("/proc/cpuinfo", encoding="utf-8"):
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines(environment: Optional[Mapping[str, Any]]) -> List[str]:
    """Training machine (from ``environment.yaml``) and the machine writing the report."""
    import torch

    here = (f"{_cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, GPUs: "
            + (", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
               or "none"))
    if not environment:
        return [f"- machine (training not recorded; report): {here}"]
    gpus = environment.get("cuda_devices") or []
    trained = (f"host {environment.get('host', '?')} ({environment.get('platform', '?')}), "
               f"GPUs: {', '.join(map(str, gpus)) if gpus else 'none (CPU)'}, "
               f"{environment.get('world_size', 1)} process(es), "
               f"torch {environment.get('torch', '?')}, python {environment.get('python', '?')}")
    return [f"- machine (training): {trained}", f"- machine (report): {here}"]


def provenance_lines(
    config: PathLike,
    exp_dir: PathLike,
    train_data: PathLike,
    trials: Sequence[PathLike],
    overrides: str = "",
    notes: Sequence[str] = (),
) -> List[str]:
    """The RESULTS.md provenance block (Markdown lines, no table).

    Args:
        config: the training config as given to the recipe (its name and sha256).
        exp_dir: the experiment dir (``config.yaml`` for the front end,
            ``environment.yaml`` for the training machine and sha).
        train_data: the data dir the model was trained on.
        trials: every trial list scored.
        overrides: the trainer overrides the recipe passed.
        notes: extra lines (e.g. lists that were skipped and why).

    Raises:
        FileNotFoundError: a missing config, trial list or training data dir.
    """
    config, exp_dir = Path(config), Path(exp_dir)
    if not config.is_file():
        raise FileNotFoundError(f"{config}: no such training config")
    resolved = _read_yaml(exp_dir / "config.yaml")
    environment = _read_yaml(exp_dir / "environment.yaml")
    lines = ["## Provenance", ""]
    code = git_state()
    trained_at = (environment or {}).get("git_sha")
    if trained_at and not code.startswith(str(trained_at)):
        code += f"; model trained at {trained_at}"
    lines.append(f"- git: {code}")
    lines.append(f"- config: {config.name} ({config}), sha256 {sha256(config)}"
                 + (f", overrides: {overrides}" if overrides.strip() else ""))
    lines.append(f"- front end: {format_frontend((resolved or {}).get('frontend'))}")
    lines.append(f"- training data: {Path(train_data).name}: {data_size(train_data)}")
    lines.append(f"- trial lists ({len(trials)}):")
    lines += trial_list_lines(trials) if trials else ["  - (none)"]
    lines += machine_lines(environment)
    lines += [f"- {n}" for n in notes if n.strip()]
    return lines
