"""steps/make_fbank.sh and steps/compute_vad_decision.sh skip only when their inputs (by
content, and the audio / archives the tables name) and options are unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf


def _data_dir(root: Path) -> Path:
    d = root / "data" / "train"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    wavs, u2s = [], []
    for s in range(2):
        for u in range(2):
            utt = f"spk{s}-u{u}"
            path = root / "wav" / f"{utt}.wav"
            path.parent.mkdir(exist_ok=True)
            sf.write(str(path), 0.1 * rng.standard_normal(8000), 16000, subtype="PCM_16")
            wavs.append(f"{utt} {path}\n")
            u2s.append(f"{utt} spk{s}\n")
    (d / "wav.scp").write_text("".join(wavs))
    (d / "utt2spk").write_text("".join(u2s))
    (d / "spk2utt").write_text("spk0 spk0-u0 spk0-u1\nspk1 spk1-u0 spk1-u1\n")
    return d


def _run(repo, env, *args):
    return subprocess.run(["bash", *args], cwd=repo, env=env, capture_output=True, text=True)


def _mtime(p: Path) -> int:
    return p.stat().st_mtime_ns


def test_make_fbank_skips_only_when_unchanged(repo, recipe_env, tmp_path):
    recipe_env["PATH"] = f"{Path(sys.executable).parent}:{recipe_env['PATH']}"
    d = _data_dir(tmp_path)
    fbank = ["steps/make_fbank.sh", "--nj", "2", "--fbank-config", "conf/fbank_80.conf",
             str(d), str(tmp_path / "log"), str(tmp_path / "fbank")]  # fmt: skip
    r = _run(repo, recipe_env, *fbank)
    assert r.returncode == 0, r.stderr
    feats, ark = d / "feats.scp", tmp_path / "fbank" / "raw_fbank_train.1.ark"
    first = (_mtime(feats), _mtime(ark))
    # touched, or rewritten with the same bytes: skipped, nothing rewritten
    os.utime(d / "wav.scp")
    (d / "utt2spk").write_text((d / "utt2spk").read_text())
    r = _run(repo, recipe_env, *fbank)
    assert r.returncode == 0 and "up to date" in r.stderr, r.stderr
    assert (_mtime(feats), _mtime(ark)) == first
    # other options: redone
    r = _run(repo, recipe_env, *fbank[:3], "--compress", "false", *fbank[3:])
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
    second = (_mtime(feats), _mtime(ark))
    assert second[1] != first[1]
    # an audio file regenerated at the same path (wav.scp's text unchanged): redone
    wav = tmp_path / "wav" / "spk0-u0.wav"
    sf.write(str(wav), np.zeros(8000) + 0.01, 16000, subtype="PCM_16")
    os.utime(wav, ns=(1, _mtime(wav) + 10**9))
    r = _run(repo, recipe_env, *fbank[:3], "--compress", "false", *fbank[3:])
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
    # an archive gone: redone
    r = _run(repo, recipe_env, *fbank[:3], "--compress", "false", *fbank[3:])
    assert "up to date" in r.stderr
    ark.unlink()
    r = _run(repo, recipe_env, *fbank[:3], "--compress", "false", *fbank[3:])
    assert r.returncode == 0 and "up to date" not in r.stderr and ark.is_file(), r.stderr

    # VAD: skipped when features and options are the same, redone when features change
    vad = ["steps/compute_vad_decision.sh", "--nj", "2", str(d), str(tmp_path / "vadlog"),
           str(tmp_path / "vad")]  # fmt: skip
    assert _run(repo, recipe_env, *vad).returncode == 0
    v1 = _mtime(d / "vad.scp")
    r = _run(repo, recipe_env, *vad)
    assert r.returncode == 0 and "up to date" in r.stderr and _mtime(d / "vad.scp") == v1
    r = _run(repo, recipe_env, *fbank)  # back to compressed features: new archives
    assert r.returncode == 0 and "up to date" not in r.stderr
    r = _run(repo, recipe_env, *vad)
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
