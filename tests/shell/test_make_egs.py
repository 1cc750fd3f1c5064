"""steps/make_egs.sh end to end: job array via run.pl, count check, idempotent rerun, errors."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_feats_dir = _load(
    Path(__file__).resolve().parents[1] / "Process_Data" / "egs" / "egs_data.py", "egs_data"
).make_feats_dir


def _run(repo, env, *args):
    return subprocess.run(["bash", "steps/make_egs.sh", *args], cwd=repo, env=env,
                          capture_output=True, text=True)


def test_make_egs_sh(repo, recipe_env, tmp_path):
    if not (repo / "utils" / "run.pl").exists():
        pytest.skip("utils/run.pl is not there yet")
    recipe_env["PATH"] = f"{Path(sys.executable).parent}:{recipe_env['PATH']}"
    data = make_feats_dir(tmp_path)
    opts = ["--min-len", "20", "--min-frames", "10", "--max-frames", "20", "--num-archives", "3",
            "--num-valid-utts", "2", "--num-diagnostic-egs", "4", "--seed", "3"]
    r = _run(repo, recipe_env, *opts, str(data), str(tmp_path / "egs"))
    assert r.returncode == 0, r.stdout + r.stderr
    egs = tmp_path / "egs"
    n = sum(len((egs / f"egs.{j}.scp").read_text().splitlines()) for j in (1, 2, 3))
    assert n == int((egs / "info" / "num_egs").read_text())
    assert (egs / "log" / "write.1.log").is_file() and (egs / "valid_egs.scp").is_file()
    r = _run(repo, recipe_env, *opts, "--format", "h5", str(data), str(tmp_path / "egs_h5"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "egs_h5" / "egs.3.h5").is_file()


def test_make_egs_sh_errors(repo, recipe_env, tmp_path):
    recipe_env["PATH"] = f"{Path(sys.executable).parent}:{recipe_env['PATH']}"
    r = _run(repo, recipe_env, str(tmp_path))
    assert r.returncode == 1 and "Usage" in r.stderr
    data = make_feats_dir(tmp_path)
    r = _run(repo, recipe_env, "--min-frames", "30", "--max-frames", "20", str(data), str(tmp_path / "egs"))
    assert r.returncode != 0 and "--min-frames 30 > --max-frames 20" in r.stderr
    assert not list((tmp_path / "egs").glob("egs.*"))
    r = _run(repo, recipe_env, "--no-such-option", "1", str(data), str(tmp_path / "egs"))
    assert r.returncode != 0 and "invalid option" in r.stderr
