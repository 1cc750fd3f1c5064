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


def _tiny_clean_and_noise(root: Path):
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    clean, noise = root / "clean", root / "noise"
    clean.mkdir()
    noise.mkdir()
    wav, u2s = [], []
    for u in ("s1-a", "s1-b", "s2-a", "s2-b"):
        sf.write(str(root / f"{u}.wav"), 0.1 * rng.standard_normal(16000), 16000, subtype="PCM_16")
        wav.append(f"{u} {root / u}.wav\n")
        u2s.append(f"{u} {u.split('-')[0]}\n")
    (clean / "wav.scp").write_text("".join(wav))
    (clean / "utt2spk").write_text("".join(u2s))
    (clean / "spk2utt").write_text("s1 s1-a s1-b\ns2 s2-a s2-b\n")
    sf.write(str(noise / "n1.wav"), 0.1 * rng.standard_normal(32000), 16000, subtype="PCM_16")
    return clean, noise


def test_augment_data_dir_sh_skips_only_when_unchanged(repo, recipe_env, tmp_path):
    import os

    clean, noise = _tiny_clean_and_noise(tmp_path)
    out = tmp_path / "aug"
    args = ["--kinds", "noise", "--noise-dir", str(noise), "--subset-factor", "0"]
    r = _run(repo, recipe_env, *args, str(clean), str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    first = (out / "wav.scp").stat().st_mtime_ns
    os.utime(clean / "utt2spk")  # touched only
    r = _run(repo, recipe_env, *args, str(clean), str(out))
    assert r.returncode == 0 and "up to date" in r.stderr, r.stderr
    assert (out / "wav.scp").stat().st_mtime_ns == first
    r = _run(repo, recipe_env, *args, "--seed", "1", str(clean), str(out))  # another option
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
    r = _run(repo, recipe_env, *args, "--seed", "1", str(clean), str(out))
    assert "up to date" in r.stderr
    (noise / "n2.wav").write_bytes((noise / "n1.wav").read_bytes())  # another noise file
    r = _run(repo, recipe_env, *args, "--seed", "1", str(clean), str(out))
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
    (clean / "utt2spk").write_text("s1-a s1\ns1-b s1\n")  # the clean set changed
    (clean / "wav.scp").write_text("".join((clean / "wav.scp").read_text().splitlines(True)[:2]))
    (clean / "spk2utt").write_text("s1 s1-a s1-b\n")
    r = _run(repo, recipe_env, *args, "--seed", "1", str(clean), str(out))
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
    assert len((out / "utt2spk").read_text().splitlines()) == 2
