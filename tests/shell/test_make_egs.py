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


def _mtimes(egs: Path):
    return {p.name: p.stat().st_mtime_ns for p in egs.iterdir() if p.is_file()
            and not p.name.startswith(".")}  # fmt: skip


def test_make_egs_sh_skips_only_when_inputs_and_options_are_unchanged(repo, recipe_env, tmp_path):
    recipe_env["PATH"] = f"{Path(sys.executable).parent}:{recipe_env['PATH']}"
    data = make_feats_dir(tmp_path)
    egs = tmp_path / "egs"
    opts = ["--min-len", "20", "--min-frames", "10", "--max-frames", "20", "--num-archives", "2",
            "--num-valid-utts", "2", "--num-diagnostic-egs", "4", "--seed", "3"]  # fmt: skip
    assert _run(repo, recipe_env, *opts, str(data), str(egs)).returncode == 0
    before = _mtimes(egs)
    # identical rerun, with the data dir's tables touched and rewritten with the same bytes
    for name in ("utt2spk", "feats.scp"):
        text = (data / name).read_text()
        (data / name).write_text(text)
    r = _run(repo, recipe_env, *opts, str(data), str(egs))
    assert r.returncode == 0 and "up to date" in r.stderr, r.stderr
    assert _mtimes(egs) == before
    # another option: redone
    r = _run(repo, recipe_env, *opts[:4], "--max-frames", "15", *opts[6:], str(data), str(egs))
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
    assert _mtimes(egs)["egs.1.scp"] != before["egs.1.scp"]
    # back to the first options, then another frame shift of the features: redone
    assert _run(repo, recipe_env, *opts, str(data), str(egs)).returncode == 0
    again = _mtimes(egs)
    (data / "frame_shift").write_text("0.015\n")
    r = _run(repo, recipe_env, *opts, str(data), str(egs))
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr
    assert _mtimes(egs)["egs.1.ark"] != again["egs.1.ark"]
    # an archive gone: redone
    (egs / "egs.2.ark").unlink()
    r = _run(repo, recipe_env, *opts, str(data), str(egs))
    assert r.returncode == 0 and "up to date" not in r.stderr and (egs / "egs.2.ark").is_file()


def test_make_egs_sh_redoes_when_the_feature_archives_change(repo, recipe_env, tmp_path):
    recipe_env["PATH"] = f"{Path(sys.executable).parent}:{recipe_env['PATH']}"
    data = make_feats_dir(tmp_path)
    egs = tmp_path / "egs"
    opts = ["--min-len", "20", "--min-frames", "10", "--max-frames", "20", "--num-archives", "2",
            "--num-valid-utts", "2", "--num-diagnostic-egs", "4"]  # fmt: skip
    assert _run(repo, recipe_env, *opts, str(data), str(egs)).returncode == 0
    # features recomputed in place: feats.scp has the same text, the archive is new
    ark = Path((data / "feats.scp").read_text().split()[1].rsplit(":", 1)[0])
    content = ark.read_bytes()
    ark.unlink()
    ark.write_bytes(content)
    r = _run(repo, recipe_env, *opts, str(data), str(egs))
    assert r.returncode == 0 and "up to date" not in r.stderr, r.stderr


def test_make_egs_sh_spk2int_keeps_the_classes_of_another_table(repo, recipe_env, tmp_path):
    """--spk2int (large-margin fine-tuning egs): labels come from the given table, which may
    hold speakers without egs; info/num_speakers is its size; a speaker it lacks is an error."""
    import kaldiio

    recipe_env["PATH"] = f"{Path(sys.executable).parent}:{recipe_env['PATH']}"
    data = make_feats_dir(tmp_path)  # spk00..spk03; frame column 0 is the speaker number
    table = tmp_path / "spk2int"
    order = ["zz_extra", "spk03", "spk01", "spk00", "spk02"]
    table.write_text("".join(f"{s} {i}\n" for i, s in enumerate(order)))
    opts = ["--min-len", "20", "--min-frames", "10", "--max-frames", "20", "--num-archives", "1",
            "--num-valid-utts", "0", "--num-diagnostic-egs", "2"]
    r = _run(repo, recipe_env, *opts, "--spk2int", str(table), str(data), str(tmp_path / "egs"))
    assert r.returncode == 0, r.stdout + r.stderr
    egs = tmp_path / "egs"
    assert (egs / "spk2int").read_text() == table.read_text()
    assert int((egs / "info" / "num_speakers").read_text()) == 5
    labels = dict(ln.split() for ln in (egs / "egs.1.labels").read_text().splitlines())
    feats = kaldiio.load_scp(str(egs / "egs.1.scp"))
    assert labels and all(int(labels[k]) == order.index(f"spk{int(feats[k][0, 0]):02d}")
                          for k in labels)
    # without the table: the data's own speakers in C order
    r = _run(repo, recipe_env, *opts, str(data), str(tmp_path / "egs_own"))
    assert (tmp_path / "egs_own" / "spk2int").read_text() == \
        "".join(f"spk{i:02d} {i}\n" for i in range(4))
    table.write_text("spk00 0\nspk01 1\n")
    r = _run(repo, recipe_env, *opts, "--spk2int", str(table), str(data), str(tmp_path / "egs2"))
    assert r.returncode != 0
    assert f"{table}: no class for 2 speakers" in r.stderr and "spk02" in r.stderr
