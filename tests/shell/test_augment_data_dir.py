"""steps/augment_data_dir.sh on minivox + musan_mini + RIRS_NOISES_mini; errors before work."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from Process_Data.data_dir import validate_data_dir


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_minivox_dir = _load(
    Path(__file__).resolve().parents[1] / "Process_Data" / "augment" / "minivox_data.py", "minivox_data"
).make_minivox_dir



def _run(repo, env, *args):
    env = {**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"}
    return subprocess.run(["bash", "steps/augment_data_dir.sh", *args], cwd=repo, env=env,
                          capture_output=True, text=True)


def test_augment_data_dir_sh(repo, recipe_env, shared_data, tmp_path):
    clean = make_minivox_dir(shared_data, tmp_path / "clean", per_spk=3)
    out = tmp_path / "aug"
    r = _run(repo, recipe_env, "--rirs-root", str(shared_data / "RIRS_NOISES_mini"),
             "--musan-root", str(shared_data / "musan_mini"), str(clean), str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    dd = validate_data_dir(out, no_feats=True)
    assert len(dd.utts) == 12  # 2 x 6 clean utterances
    assert {u.rsplit("-", 1)[1] for u in dd.utts} <= {"reverb", "noise", "music", "babble"}
    assert dd.speakers == ["az_01", "rav_01"]
    for kind in ("reverb", "noise", "music", "babble"):
        assert len(validate_data_dir(out / "parts" / kind, no_feats=True).utts) == 6


def test_augment_data_dir_sh_bad_input(repo, recipe_env, shared_data, tmp_path):
    clean = make_minivox_dir(shared_data, tmp_path / "clean", speakers=("az_01",), per_spk=1)
    r = _run(repo, recipe_env, "--musan-root", str(shared_data / "musan_mini"),
             "--kinds", "noise", "--fg-snrs", "15:x", str(clean), str(tmp_path / "o"))
    assert r.returncode == 1 and "--fg-snrs: cannot parse '15:x'" in r.stderr
    r = _run(repo, recipe_env, "--kinds", "reverb", "--rir-set-parameters",
             f"0.5 {shared_data}/RIRS_NOISES_mini/simulated_rirs/smallroom/rir_list",
             str(clean), str(tmp_path / "o"))
    assert r.returncode == 1 and "--rir-set-parameters: cannot parse" in r.stderr
    assert not (tmp_path / "o").exists()
    r = _run(repo, recipe_env, str(clean))
    assert r.returncode == 1 and "Usage" in r.stderr
