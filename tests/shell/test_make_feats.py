"""steps/make_{fbank,mfcc,plp,spect}.sh and compute_vad_decision.sh on a minivox data dir.

The scripts run from a scratch recipe dir whose utils/ links to the repository's tools.
Data-dir tools not written yet (utils/split_data.sh, validate_data_dir.sh, fix_data_dir.sh
are another helper's) are stood in for by small shims over Process_Data.data_dir, only
while the real ones are absent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf

from Process_Data.data_dir import read_kv

SHIMS = {
    "validate_data_dir.sh": """
args = [a for a in sys.argv[1:]]
from Process_Data.data_dir import validate_data_dir
validate_data_dir(args[-1], no_feats="--no-feats" in args, no_wav="--no-wav" in args)
""",
    "fix_data_dir.sh": """
from Process_Data.data_dir import fix_data_dir
fix_data_dir(sys.argv[-1])
""",
    "split_data.sh": """
from Process_Data.data_dir import DataDir
data, nj = sys.argv[-2], int(sys.argv[-1])
dd = DataDir.load(data)
utts = list(dd.utts)
for j in range(nj):
    part = utts[j * len(utts) // nj:(j + 1) * len(utts) // nj]
    dd.subset(part).save(f"{data}/split{nj}utt/{j + 1}")
""",
}


def make_recipe(repo: Path, root: Path) -> Path:
    """A recipe dir: steps/ and conf/ link to the repo; utils/ links each tool (or a shim)."""
    recipe = root / "recipe"
    (recipe / "utils").mkdir(parents=True)
    for name in ("steps", "conf"):
        (recipe / name).symlink_to(repo / name)
    for tool in (repo / "utils").iterdir():
        (recipe / "utils" / tool.name).symlink_to(tool)
    for name, body in SHIMS.items():
        if not (repo / "utils" / name).exists():
            shim = recipe / "utils" / name
            shim.write_text(f"#!/usr/bin/env python3\nimport sys\n{body}")
            shim.chmod(0o755)
    return recipe


def make_data(shared: Path, data: Path, per_speaker: int = 4, short: int = 1) -> dict:
    """A data dir of 5 minivox speakers (one of them 8 kHz) plus ``short`` too-short files."""
    wav_root = shared / "minivox" / "wav"
    speakers = ["az_01", "fsdd_george", "rav_01", "sc_0132a06d", "ur_01"]
    speakers = [s for s in speakers if (wav_root / s).is_dir()]
    if len(speakers) < 5:
        speakers = sorted(p.name for p in wav_root.iterdir())[:5]
    data.mkdir(parents=True)
    wav, utt2spk, lengths = {}, {}, {}
    for spk in speakers:
        for f in sorted((wav_root / spk).rglob("*.flac"))[:per_speaker]:
            utt = f"{spk}-{f.parent.name}-{f.stem}"
            wav[utt], utt2spk[utt] = str(f), spk
            info = sf.info(str(f))
            lengths[utt] = int(round(info.frames * 16000 / info.samplerate))
    for i in range(short):
        p = data.parent / f"short{i}.wav"
        sf.write(str(p), np.zeros(50, np.float32), 16000)
        utt = f"{speakers[0]}-short-{i}"
        wav[utt], utt2spk[utt] = str(p), speakers[0]
    (data / "wav.scp").write_text("".join(f"{u} {wav[u]}\n" for u in sorted(wav)))
    (data / "utt2spk").write_text("".join(f"{u} {utt2spk[u]}\n" for u in sorted(wav)))
    spk2utt = {}
    for u in sorted(wav):
        spk2utt.setdefault(utt2spk[u], []).append(u)
    (data / "spk2utt").write_text("".join(f"{s} {' '.join(us)}\n" for s, us in
                                          sorted(spk2utt.items())))
    return lengths


def run(recipe: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run a recipe script as a user would after `. ./path.sh` (venv python first on PATH)."""
    env = dict(env, PATH=os.pathsep.join([os.path.dirname(sys.executable), env["PATH"]]))
    return subprocess.run(list(args), cwd=recipe, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("script,conf_opt,conf,dim,nj", [
    ("make_fbank.sh", "--fbank-config", "conf/fbank_80.conf", 80, 4),
    ("make_mfcc.sh", "--mfcc-config", "conf/mfcc_30.conf", 30, 4),
    ("make_spect.sh", "--spect-config", "conf/spect_161.conf", 161, 2),
    ("make_plp.sh", "--plp-config", "conf/plp.conf", 13, 2),
])
def test_make_feats_minivox(shared_data, repo, recipe_env, tmp_path, script, conf_opt, conf,
                            dim, nj):
    recipe = make_recipe(repo, tmp_path)
    data = tmp_path / "data" / "mini"
    lengths = make_data(shared_data, data)
    res = run(recipe, recipe_env, f"steps/{script}", "--nj", str(nj), "--cmd", "utils/run.pl",
              conf_opt, conf, str(data), str(tmp_path / "log"), str(tmp_path / "feats"))
    assert res.returncode == 0, res.stdout + res.stderr
    feats = read_kv(data / "feats.scp")
    assert set(feats) == set(lengths)  # the too-short utterance was dropped, nothing else
    assert "short" not in (data / "utt2spk").read_text()
    logs = "".join(p.read_text() for p in (tmp_path / "log").glob("*.log"))
    assert "short-0: 50 samples is shorter than one frame" in logs
    num_frames = {u: int(n) for u, n in read_kv(data / "utt2num_frames").items()}
    for utt, mat in kaldiio.load_scp(str(data / "feats.scp")).items():
        assert mat.shape == (num_frames[utt], dim)
        assert num_frames[utt] == (lengths[utt] + 80) // 160  # snip-edges false, 10 ms
        assert np.isfinite(mat).all()
    assert (data / "frame_shift").read_text().strip() == "0.01"
    assert (data / "conf" / Path(conf).name.replace(Path(conf).stem, script[5:-3])).exists()
    assert len(list((tmp_path / "feats").glob("raw_*_mini.*.ark"))) == nj
    if script == "make_mfcc.sh":
        res = run(recipe, recipe_env, "steps/compute_vad_decision.sh", "--nj", "4",
                  str(data), str(tmp_path / "log"), str(tmp_path / "feats"))
        assert res.returncode == 0, res.stdout + res.stderr
        vad = kaldiio.load_scp(str(data / "vad.scp"))
        assert set(vad) == set(feats)
        assert all(vad[u].shape == (num_frames[u],) for u in vad)
        voiced = np.concatenate(list(vad.values()))
        assert 0.2 < voiced.mean() < 1.0
    # a rerun with the same inputs and options is skipped
    res = run(recipe, recipe_env, f"steps/{script}", "--nj", str(nj), conf_opt, conf, str(data),
              str(tmp_path / "log"), str(tmp_path / "feats"))
    assert res.returncode == 0 and "up to date" in res.stdout + res.stderr


def test_fails_below_95_percent(shared_data, repo, recipe_env, tmp_path):
    recipe = make_recipe(repo, tmp_path)
    data = tmp_path / "data" / "bad"
    make_data(shared_data, data, per_speaker=2, short=2)
    res = run(recipe, recipe_env, "steps/make_fbank.sh", "--nj", "2", str(data))
    assert res.returncode != 0
    assert "fewer than 95%" in res.stderr


def test_usage_and_bad_config(repo, recipe_env, tmp_path):
    recipe = make_recipe(repo, tmp_path)
    res = run(recipe, recipe_env, "steps/make_mfcc.sh")
    assert res.returncode == 1 and "Usage: steps/make_mfcc.sh" in res.stderr
    data = tmp_path / "d"
    data.mkdir()
    wav = tmp_path / "a.wav"
    sf.write(str(wav), np.zeros(16000, np.float32), 16000)
    for name, text in (("wav.scp", f"s1-a {wav}\n"), ("utt2spk", "s1-a s1\n"),
                       ("spk2utt", "s1 s1-a\n")):
        (data / name).write_text(text)
    bad = tmp_path / "bad.conf"
    bad.write_text("--num-mel-bins=40\n--frame-lenght=20\n")
    res = run(recipe, recipe_env, "steps/make_fbank.sh", "--nj", "1", "--fbank-config",
              str(bad), str(data))
    assert res.returncode != 0
    logs = "".join(p.read_text() for p in (data / "log").glob("*.log"))
    assert "bad.conf:2: unknown option --frame-lenght" in logs + res.stderr
