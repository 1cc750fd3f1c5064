"""utils/{validate_data_dir,fix_data_dir,split_data,subset_data_dir,combine_data,copy_data_dir}.sh.

Each runs as a user would (subprocess, after path.sh) on tiny data dirs with real WAV files;
bad input must give a message naming file and line, a non-zero exit and no partial output.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from Process_Data.data_dir import read_kv, validate_data_dir


def make_dir(root: Path, name: str = "data", speakers=(("spkA", 3), ("spkB", 2), ("spkC", 1))):
    """A valid data dir: utterance k of a speaker lasts (k + 1) * 0.1 s."""
    d = root / name
    d.mkdir(parents=True)
    wav, u2s, dur = [], [], []
    for spk, n in speakers:
        for k in range(n):
            utt = f"{spk}-u{k}"
            path = root / f"{name}-{utt}.wav"
            sf.write(path, np.full(1600 * (k + 1), 0.1, np.float32), 16000)
            wav.append(f"{utt} {path}\n")
            u2s.append(f"{utt} {spk}\n")
            dur.append(f"{utt} {0.1 * (k + 1):g}\n")
    (d / "wav.scp").write_text("".join(wav))
    (d / "utt2spk").write_text("".join(u2s))
    (d / "utt2dur").write_text("".join(dur))
    (d / "spk2utt").write_text(
        "".join(f"{s} {' '.join(f'{s}-u{k}' for k in range(n))}\n" for s, n in speakers)
    )
    return d


def sh(repo: Path, env: dict, script: str, *args) -> subprocess.CompletedProcess:
    """Run utils/<script> by its full path from a neutral working directory."""
    return subprocess.run(
        [str(repo / "utils" / script), *map(str, args)],
        cwd="/", env=env, capture_output=True, text=True, timeout=120,
    )


BAD_INPUTS = [
    ("unsorted", lambda d: (d / "utt2spk").write_text("spkB-u0 spkB\nspkA-u0 spkA\n"),
     "utt2spk:2: not sorted"),
    ("duplicate", lambda d: (d / "utt2dur").write_text("spkA-u0 1\nspkA-u0 1\n"),
     "utt2dur:2: duplicate key 'spkA-u0' (first on line 1)"),
    ("spk2utt mismatch", lambda d: (d / "spk2utt").write_text(
        "spkA spkA-u0 spkA-u1\nspkB spkB-u0 spkB-u1\nspkC spkC-u0\n"),
     "spk2utt:1: utterances of 'spkA' disagree with utt2spk"),
    ("not a prefix", lambda d: (d / "utt2spk").write_text(
        (d / "utt2spk").read_text().replace("spkC-u0 spkC", "spkC-u0 zed")),
     "utt2spk:6: speaker id 'zed' is not a prefix of utterance id 'spkC-u0'"),
    ("missing audio", lambda d: Path(read_kv(d / "wav.scp")["spkB-u1"]).unlink(),
     "wav.scp:5: audio file of 'spkB-u1' not found"),
]


@pytest.mark.parametrize("what, mutate, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_validate_bad_input(repo, recipe_env, tmp_path, what, mutate, message):
    d = make_dir(tmp_path)
    mutate(d)
    r = sh(repo, recipe_env, "validate_data_dir.sh", "--no-feats", d)
    assert r.returncode == 1
    assert f"{d}/{message}" in r.stderr, r.stderr
    assert "Successfully" not in r.stdout


def test_validate_good_and_options(repo, recipe_env, tmp_path):
    d = make_dir(tmp_path)
    r = sh(repo, recipe_env, "validate_data_dir.sh", "--no-feats", "--no-text", d)
    assert r.returncode == 0 and r.stdout == f"Successfully validated data-directory {d}\n"
    r = sh(repo, recipe_env, "validate_data_dir.sh", d)
    assert r.returncode == 1 and "feats.scp: missing (use --no-feats" in r.stderr
    r = sh(repo, recipe_env, "validate_data_dir.sh", "--no-fets", d)
    assert r.returncode == 1 and "invalid option --no-fets" in r.stderr and "Usage" in r.stderr


def test_fix_data_dir(repo, recipe_env, tmp_path):
    d = make_dir(tmp_path)
    (d / "utt2dur").write_text("spkA-u1 0.2\nspkC-u0 0.1\nspkA-u0 0.1\n")  # unsorted, partial
    r = sh(repo, recipe_env, "fix_data_dir.sh", d)
    assert r.returncode == 0, r.stderr
    assert "fix_data_dir.sh: kept 3 utterances out of 6" in r.stderr
    assert (d / "spk2utt").read_text() == "spkA spkA-u0 spkA-u1\nspkC spkC-u0\n"
    assert validate_data_dir(d, no_feats=True).utts == ["spkA-u0", "spkA-u1", "spkC-u0"]
    (d / "utt2spk").write_text("spkA-u0 spkA\nspkA-u0 spkA\n")
    r = sh(repo, recipe_env, "fix_data_dir.sh", d)
    assert r.returncode == 1 and f"{d}/utt2spk:2: duplicate key" in r.stderr


def test_split_data(repo, recipe_env, tmp_path):
    d = make_dir(tmp_path)
    r = sh(repo, recipe_env, "split_data.sh", d, 2)
    assert r.returncode == 0, r.stderr
    assert [read_kv(d / "split2" / k / "spk2utt", multi=True) for k in "12"] == [
        {"spkA": ["spkA-u0", "spkA-u1", "spkA-u2"]},
        {"spkB": ["spkB-u0", "spkB-u1"], "spkC": ["spkC-u0"]},
    ]
    assert read_kv(d / "split2" / "2" / "utt2dur") == {"spkB-u0": "0.1", "spkB-u1": "0.2",
                                                        "spkC-u0": "0.1"}
    r = sh(repo, recipe_env, "split_data.sh", d, 2)
    assert r.returncode == 0 and "up to date; skipping" in r.stderr
    r = sh(repo, recipe_env, "split_data.sh", d, 4)
    assert r.returncode == 1 and "cannot split 3 speaker(s) into 4 parts" in r.stderr
    assert not (d / "split4").exists()
    r = sh(repo, recipe_env, "split_data.sh", "--per-utt", d, 4)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (d / "split4utt").iterdir()) == ["1", "2", "3", "4"]
    for k in "1234":
        validate_data_dir(d / "split4utt" / k, no_feats=True)
    r = sh(repo, recipe_env, "split_data.sh", d)
    assert r.returncode == 1 and "Usage" in r.stderr


def test_subset_data_dir(repo, recipe_env, tmp_path):
    d = make_dir(tmp_path)
    r = sh(repo, recipe_env, "subset_data_dir.sh", "--shortest", d, 2, tmp_path / "short")
    assert r.returncode == 0, r.stderr
    assert list(read_kv(tmp_path / "short" / "utt2spk")) == ["spkA-u0", "spkB-u0"]
    r = sh(repo, recipe_env, "subset_data_dir.sh", "--last", "1", d, tmp_path / "last")
    assert list(read_kv(tmp_path / "last" / "utt2spk")) == ["spkC-u0"]
    (tmp_path / "spk").write_text("spkB\n")
    r = sh(repo, recipe_env, "subset_data_dir.sh", "--spk-list", tmp_path / "spk", d, tmp_path / "b")
    assert (tmp_path / "b" / "spk2utt").read_text() == "spkB spkB-u0 spkB-u1\n"
    r1 = sh(repo, recipe_env, "subset_data_dir.sh", d, 4, tmp_path / "r1")
    r2 = sh(repo, recipe_env, "subset_data_dir.sh", "--seed", "0", d, 4, tmp_path / "r2")
    assert r1.returncode == r2.returncode == 0
    assert (tmp_path / "r1" / "utt2spk").read_text() == (tmp_path / "r2" / "utt2spk").read_text()
    assert len(read_kv(tmp_path / "r1" / "utt2spk")) == 4
    (tmp_path / "utts").write_text("spkA-u0\nghost\n")
    r = sh(repo, recipe_env, "subset_data_dir.sh", "--utt-list", tmp_path / "utts", d, tmp_path / "g")
    assert r.returncode == 1 and f"{tmp_path}/utts:2: utterance 'ghost' is not in" in r.stderr
    assert not (tmp_path / "g").exists()


def test_combine_data(repo, recipe_env, tmp_path):
    a = make_dir(tmp_path, "a", (("x", 2),))
    b = make_dir(tmp_path, "b", (("y", 1),))
    (a / "utt2uniq").write_text("x-u0 x-u0\nx-u1 x-u1\n")
    (b / "utt2uniq").write_text("y-u0 y-u0\n")
    r = sh(repo, recipe_env, "combine_data.sh", "--extra-files", "utt2uniq", tmp_path / "ab", a, b)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "ab" / "utt2spk").read_text() == "x-u0 x\nx-u1 x\ny-u0 y\n"
    assert (tmp_path / "ab" / "utt2uniq").read_text() == "x-u0 x-u0\nx-u1 x-u1\ny-u0 y-u0\n"
    assert "3 utterances from 2 dirs" in r.stderr
    r = sh(repo, recipe_env, "combine_data.sh", tmp_path / "aba", a, b, a)
    assert r.returncode == 1 and "utterance 'x-u0' is also in" in r.stderr
    assert not (tmp_path / "aba").exists()
    r = sh(repo, recipe_env, "combine_data.sh", "--extra-file", "x", tmp_path / "q", a)
    assert r.returncode == 1 and "invalid option --extra-file" in r.stderr


def test_copy_data_dir(repo, recipe_env, tmp_path):
    d = make_dir(tmp_path, speakers=(("s", 2),))
    r = sh(repo, recipe_env, "copy_data_dir.sh", "--utt-prefix", "rev1-", "--spk-prefix", "rev1-",
           "--utt-suffix", "-x", d, tmp_path / "c")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "c" / "utt2spk").read_text() == "rev1-s-u0-x rev1-s\nrev1-s-u1-x rev1-s\n"
    assert list(read_kv(tmp_path / "c" / "wav.scp")) == ["rev1-s-u0-x", "rev1-s-u1-x"]
    assert read_kv(tmp_path / "c" / "utt2dur")["rev1-s-u1-x"] == "0.2"
    r = sh(repo, recipe_env, "copy_data_dir.sh", "--utt-prefix", "a-", d, tmp_path / "bad")
    assert r.returncode == 1 and "speaker 's' would not be a prefix of utterance 'a-s-u0'" in r.stderr
    assert not (tmp_path / "bad").exists()
