"""Honest skipping of ./run.sh on a tiny demo corpus (issue 14, part 2; STYLE rule 10).

(a) An identical rerun recomputes nothing: no feature, augmentation (speed copies), egs,
    model or embedding archive is rewritten (mtimes of every ``*.ark``, ``feats.scp``, the egs
    archives, ``final.pt``, ``xvector.scp``).
(b) A rerun with another ``--min-frames`` rebuilds the egs and retrains; features stay.
(c) A run killed with SIGKILL (the whole process tree, jobs included) during stage 1 and
    again during stage 3, each time resumed with ``--stage N``, ends with the same features,
    egs, model weights and embeddings as an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import REPO

pytestmark = pytest.mark.slow

TINY = ["--demo-speakers", "10", "--demo-utts", "6", "--demo-test-speakers", "3", "--nj", "2",
        "--speed-perturb", "true", "--train-overrides", "--train_conf.epochs 1"]  # fmt: skip
SETS = ("demo_dev", "demo_test", "demo_dev_train_sp0.9", "demo_dev_train_sp1.1",
        "demo_dev_train_sp_combined")
EGS = "egs_demo_dev_train_sp_combined"


def _env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1")


def _cmd(out: Path, *args: str):
    # A copy of run.sh (bash reads a script as it goes: an edit of the working tree during
    # these minutes-long runs must not change it mid-run), next to a link to utils/ for the
    # one path it takes from its own location; it runs in the repository as ./run.sh does.
    copy = out / "recipe" / "run.sh"
    if not copy.is_file():
        copy.parent.mkdir(parents=True, exist_ok=True)
        (copy.parent / "utils").symlink_to(REPO / "utils")
        copy.write_text((REPO / "run.sh").read_text())
        copy.chmod(0o755)
    return [str(copy), "--data", str(out / "data"), "--exp", str(out / "exp"), *TINY, *args]


def _run(out: Path, *args: str) -> str:
    proc = subprocess.run(_cmd(out, *args), cwd=REPO, env=_env(), capture_output=True,
                          text=True, timeout=1200)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _mtimes(out: Path):
    """mtime of every archive and of the key outputs of each stage."""
    files = [p for p in out.rglob("*.ark")]
    files += [out / "data" / s / "feats.scp" for s in SETS]
    files += list((out / "exp" / EGS).glob("*.scp")) + [out / "exp" / "demo" / "final.pt"]
    files += list((out / "exp" / "demo").glob("xvectors_*/xvector.scp"))
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in files}


#: Outputs an identical rerun still rewrites, neither recomputed nor in stages 0-5:
#: utils/combine_data.sh (run.sh stage 2) rewrites the combined training set's tables with
#: the same content (checked by content below), and steps/center_embeddings.sh (stage 6
#: scoring) re-centres the embeddings into xvectors_<set>_dc and _sm on every run.
NOT_SKIPPED = ("data/demo_dev_train_sp_combined/feats.scp", "_dc/", "_sm/")


def _changed(before, after, ignore=()):
    return sorted(k for k in set(before) | set(after)
                  if before.get(k) != after.get(k) and not any(i in k for i in ignore))  # fmt: skip


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One uninterrupted run of every stage; the mtimes right after it."""
    out = tmp_path_factory.mktemp("rerun")
    _run(out)
    return out, _mtimes(out)


def _descendants(pid: int):
    """pid and every process below it (from /proc)."""
    children = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def _kill_tree(pid: int):
    """SIGKILL a process and all its descendants (jobs run in their own sessions, as a
    crash would leave them: none survives to finish its output)."""
    stopped = set()
    while True:  # freeze the tree first so that nothing new is started while we look
        tree = set(_descendants(pid)) - stopped
        if not tree:
            break
        for p in tree:
            try:
                os.kill(p, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        stopped |= tree
    for p in stopped:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _run_and_kill(out: Path, marker_glob: str, *args: str):
    """Start the recipe, SIGKILL its tree as soon as a file matching ``marker_glob`` (under
    ``out``) exists; returns the recipe's output so far."""
    proc = subprocess.Popen(_cmd(out, *args), cwd=REPO, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline = time.time() + 1200
    try:
        while not list(out.glob(marker_glob)):
            assert proc.poll() is None, f"recipe ended before {marker_glob} appeared"
            assert time.time() < deadline, f"no {marker_glob} after 1200 s"
            time.sleep(0.05)
        _kill_tree(proc.pid)
    finally:
        proc.wait(timeout=60)
    return proc.stdout.read()


def test_a_identical_rerun_rewrites_nothing(first_run):
    out, before = first_run
    combined = (out / "data" / "demo_dev_train_sp_combined" / "feats.scp").read_text()
    text = _run(out)
    after = _mtimes(out)
    changed = _changed(before, after, NOT_SKIPPED)
    assert not changed, f"an identical rerun rewrote {len(changed)} files: {changed}"
    assert (out / "data" / "demo_dev_train_sp_combined" / "feats.scp").read_text() == combined
    assert sum(k.endswith(".ark") for k in before) >= 10  # features, egs and embeddings
    assert "final.pt is up to date" in text and "up to date (same data and options)" in text


def _matrices(scp: Path):
    import kaldiio

    return {k: np.asarray(v) for k, v in kaldiio.load_scp(str(scp)).items()}


def _same_matrices(a: Path, b: Path):
    ma, mb = _matrices(a), _matrices(b)
    assert list(ma) == list(mb), f"{a} and {b} have other keys"
    for k in ma:
        assert ma[k].shape == mb[k].shape and np.array_equal(ma[k], mb[k]), f"{b}: {k} differs"


def _model(path: Path):
    return torch.load(path, map_location="cpu", weights_only=False)["model"]


def test_c_killed_in_stages_1_and_3_then_resumed_matches_an_uninterrupted_run(
    first_run, tmp_path
):
    ref, _ = first_run
    out = tmp_path / "killed"
    _run_and_kill(out, "exp/make_fbank/*/make_fbank_*.log", "--stop-stage", "5")
    assert not (out / "data" / "demo_test" / "feats.scp").exists()  # killed in stage 1
    _run_and_kill(out, f"exp/{EGS}/log/write.*.log", "--stage", "1", "--stop-stage", "5")
    assert not (out / "exp" / EGS / ".egs.done").exists()  # killed in stage 3
    assert not (out / "exp" / "demo" / "final.pt").exists()
    _run(out, "--stage", "3", "--stop-stage", "5")
    for s in SETS:
        _same_matrices(ref / "data" / s / "feats.scp", out / "data" / s / "feats.scp")
        assert (ref / "data" / s / "utt2num_frames").read_text() == (
            out / "data" / s / "utt2num_frames"
        ).read_text()
    for name in ("egs.1.scp", "valid_egs.scp", "train_diagnostic.scp"):
        _same_matrices(ref / "exp" / EGS / name, out / "exp" / EGS / name)
    for f in sorted((ref / "exp" / EGS / "info").iterdir()):
        assert f.read_bytes() == (out / "exp" / EGS / "info" / f.name).read_bytes(), f.name
    ma, mb = _model(ref / "exp" / "demo" / "final.pt"), _model(out / "exp" / "demo" / "final.pt")
    assert list(ma) == list(mb) and all(torch.equal(ma[k], mb[k]) for k in ma)
    for s in ("demo_dev", "demo_test"):
        x = f"xvectors_{s}/xvector.scp"
        _same_matrices(ref / "exp" / "demo" / x, out / "exp" / "demo" / x)


def test_b_other_min_frames_rebuilds_egs_and_model_only(first_run):
    out, _ = first_run
    before = _mtimes(out)
    model = _model(out / "exp" / "demo" / "final.pt")
    text = _run(out, "--min-frames", "80", "--stop-stage", "5")
    after = _mtimes(out)
    changed = _changed(before, after, NOT_SKIPPED)
    assert not [k for k in changed if k.startswith("data/")], changed  # features kept
    assert f"exp/{EGS}/egs.1.scp" in changed and "exp/demo/final.pt" in changed
    assert "final.pt is up to date" not in text
    assert "trained from other inputs" in text  # old checkpoints are not resumed from
    new = _model(out / "exp" / "demo" / "final.pt")
    assert any(not torch.equal(model[k], new[k]) for k in model)
    # and the same options once more: nothing to do
    again = _mtimes(out)
    _run(out, "--min-frames", "80", "--stop-stage", "5")
    assert not _changed(again, _mtimes(out), NOT_SKIPPED)
