"""utils/*.pl (Python on the bare system interpreter): Kaldi command lines and known answers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UTT2SPK = "a-1 a\na-2 a\nb-1 b\nc-1 c\nc-2 c\nc-3 c\n"


def bare_python() -> str:
    """A system python3 outside the venv (the .pl tools must not need numpy & co)."""
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("no python3 outside the venv")


def pl(repo: Path, name: str, *args: str, stdin: str = "", cwd: Path = None):
    """Run utils/<name> with a minimal environment (no venv, no PYTHONPATH)."""
    return subprocess.run(
        [bare_python(), str(repo / "utils" / name), *args],
        input=stdin, capture_output=True, text=True, cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, timeout=60,
    )


def test_utt2spk_spk2utt_round_trip(repo, tmp_path):
    (tmp_path / "utt2spk").write_text(UTT2SPK)
    r = pl(repo, "utt2spk_to_spk2utt.pl", str(tmp_path / "utt2spk"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "a a-1 a-2\nb b-1\nc c-1 c-2 c-3\n"
    back = pl(repo, "spk2utt_to_utt2spk.pl", stdin=r.stdout)
    assert back.returncode == 0 and back.stdout == UTT2SPK
    bad = pl(repo, "utt2spk_to_spk2utt.pl", stdin="a-1 a\nb-1\n")
    assert bad.returncode == 1 and "-:2: expected 'utt spk', got 'b-1'" in bad.stderr


def test_filter_scp(repo, tmp_path):
    (tmp_path / "utt2spk").write_text(UTT2SPK)
    (tmp_path / "ids").write_text("c-2\na-1 extra\n")
    r = pl(repo, "filter_scp.pl", str(tmp_path / "ids"), str(tmp_path / "utt2spk"))
    assert r.returncode == 0 and r.stdout == "a-1 a\nc-2 c\n"
    r = pl(repo, "filter_scp.pl", "--exclude", "-f", "2", "-", str(tmp_path / "utt2spk"),
           stdin="c\na\n")
    assert r.stdout == "b-1 b\n"
    r = pl(repo, "filter_scp.pl", str(tmp_path / "ids"), stdin="x 1\n\n")
    assert r.returncode == 1 and "-:2: has 0 field(s)" in r.stderr
    r = pl(repo, "filter_scp.pl", "--bogus", "ids")
    assert r.returncode == 1 and "unknown option --bogus" in r.stderr


def test_split_scp_balanced_and_by_speaker(repo, tmp_path):
    (tmp_path / "utt2spk").write_text(UTT2SPK)
    outs = [str(tmp_path / f"o{k}") for k in (1, 2, 3, 4)]
    r = pl(repo, "split_scp.pl", str(tmp_path / "utt2spk"), *outs)
    assert r.returncode == 0, r.stderr
    assert [Path(o).read_text().count("\n") for o in outs] == [2, 2, 1, 1]
    assert "".join(Path(o).read_text() for o in outs) == UTT2SPK
    r = pl(repo, "split_scp.pl", f"--utt2spk={tmp_path / 'utt2spk'}", str(tmp_path / "utt2spk"),
           *outs[:2])
    assert r.returncode == 0, r.stderr
    assert Path(outs[0]).read_text() == "a-1 a\na-2 a\nb-1 b\n"
    assert Path(outs[1]).read_text() == "c-1 c\nc-2 c\nc-3 c\n"
    r = pl(repo, "split_scp.pl", "-j", "3", "2", "--one-based", str(tmp_path / "utt2spk"))
    assert r.stdout == "b-1 b\nc-1 c\n"
    r = pl(repo, "split_scp.pl", f"--utt2spk={tmp_path / 'utt2spk'}", str(tmp_path / "utt2spk"),
           *outs)
    assert r.returncode == 1 and "cannot split 3 speaker(s) into 4 parts" in r.stderr
    (tmp_path / "mixed").write_text("a-1 x\nb-1 y\na-2 z\n")
    r = pl(repo, "split_scp.pl", f"--utt2spk={tmp_path / 'utt2spk'}", str(tmp_path / "mixed"),
           str(tmp_path / "m1"), str(tmp_path / "m2"))
    assert r.returncode == 1 and "mixed:3: lines of speaker 'a' are not contiguous" in r.stderr
    assert not (tmp_path / "m1").exists()
