"""local/make_*.sh: usage errors, and real runs as a user would make them (from the repo root)."""

from __future__ import annotations

import csv
import subprocess

import pytest

SCRIPTS = ["make_voxceleb1", "make_voxceleb2", "make_cnceleb", "make_librispeech", "make_sitw",
           "make_musan", "make_rirs", "make_trials", "make_demo_corpus"]  # fmt: skip


def run(repo, env, *args):
    return subprocess.run(["bash", *map(str, args)], cwd=repo, env=env, capture_output=True,
                          text=True)  # fmt: skip


@pytest.mark.parametrize("name", SCRIPTS)
def test_usage_and_unknown_option(repo, recipe_env, name):
    r = run(repo, recipe_env, f"local/{name}.sh")
    assert r.returncode == 1 and "Usage:" in r.stderr and "e.g.:" in r.stderr
    r = run(repo, recipe_env, f"local/{name}.sh", "--no-such-option", "1", "a", "b")
    assert r.returncode == 1 and "invalid option --no-such-option" in r.stderr


def test_demo_then_voxceleb1_then_trials(repo, recipe_env, tmp_path):
    corpus, data = tmp_path / "demo", tmp_path / "data"
    r = run(repo, recipe_env, "local/make_demo_corpus.sh", "--num-speakers", 4,
            "--utts-per-speaker", 3, "--num-test-speakers", 2, "--nj", 2, corpus)  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(corpus / "meta.csv")))
    assert len(rows) == 4 and len(list(corpus.glob("wav/*/*/*.wav"))) == 12
    r = run(repo, recipe_env, "local/make_voxceleb1.sh", corpus, data)
    assert r.returncode == 0, r.stderr
    n_vox = len((corpus / "trials/test.txt").read_text().splitlines())
    assert len((data / "voxceleb1_test/trials").read_text().splitlines()) == n_vox
    assert len((data / "voxceleb1_dev/utt2spk").read_text().splitlines()) == 6
    r = run(repo, recipe_env, "local/make_trials.sh", "--num-target", 1, "--num-nontarget", 2,
            "--same-gender", "false", data / "voxceleb1_dev")  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = [x.split() for x in (data / "voxceleb1_dev/trials").read_text().splitlines()]
    # 2 dev speakers x 3 utterances: 9 unordered non-target pairs, none drawn twice
    assert 6 < sum(t[2] == "nontarget" for t in lines) <= 9
    assert len({frozenset(t[:2]) for t in lines}) == len(lines)
    assert all(t[2] == ("target" if t[0][:8] == t[1][:8] else "nontarget") for t in lines)


def test_bad_audio_fails_by_path(repo, recipe_env, tmp_path):
    root = tmp_path / "vox"
    (root / "wav/s1/a").mkdir(parents=True)
    (root / "wav/s1/a/1.wav").write_bytes(b"RIFF nonsense")
    (root / "meta.csv").write_text("speaker,set\ns1,dev\n")
    r = run(repo, recipe_env, "local/make_voxceleb1.sh", root, tmp_path / "data")
    assert r.returncode == 1
    assert "s1/a/1.wav: unreadable" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "data/voxceleb1_dev").exists()


@pytest.mark.shared_data
def test_musan_and_rirs_minis(repo, recipe_env, shared_data, tmp_path):
    data = tmp_path / "data"
    r = run(repo, recipe_env, "local/make_musan.sh", shared_data / "musan_mini", data)
    assert r.returncode == 0, r.stderr
    r = run(repo, recipe_env, "local/make_rirs.sh", "--sets", "simulated",
            shared_data / "RIRS_NOISES_mini", data)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in data.iterdir()) == [
        "musan_music", "musan_noise", "musan_speech", "rirs_simulated"]  # fmt: skip
    assert len((data / "rirs_simulated/spk2utt").read_text().splitlines()) == 30
