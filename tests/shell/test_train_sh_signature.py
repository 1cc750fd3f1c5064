"""steps/train.sh skips only when final.pt was made from the same inputs (config, overrides,
override files, the egs' info/ and archives or the data dir's tables), and never resumes from
checkpoints of other inputs. The trainer is stood in for by a fake backend command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FAKE_CMD = r"""#!/usr/bin/env bash
# a job backend that "trains": one call logged, a checkpoint (unless one exists) and final.pt
while [ $# -gt 0 ] && [ "$1" != --exp-dir ]; do shift; done
exp=$2
echo call >> "$exp/calls"
mkdir -p "$exp/checkpoints"
ls "$exp/checkpoints" > "$exp/checkpoints_seen"
[ -f "$exp/checkpoints/epoch_1.pt" ] || echo new > "$exp/checkpoints/epoch_1.pt"
echo model > "$exp/final.pt"
"""


@pytest.fixture
def setup(tmp_path, recipe_env):
    cmd = tmp_path / "fake_cmd.sh"
    cmd.write_text(FAKE_CMD)
    cmd.chmod(0o755)
    config = tmp_path / "demo.yaml"
    config.write_text("model: xvector\n")
    egs = tmp_path / "egs"
    (egs / "info").mkdir(parents=True)
    (egs / "info" / "num_speakers").write_text("10\n")
    (egs / "egs.1.ark").write_bytes(b"ark")
    (egs / "egs.1.scp").write_text(f"e1 {egs}/egs.1.ark:0\n")
    recipe_env["PATH"] = f"{Path(sys.executable).parent}:{recipe_env['PATH']}"
    return cmd, config, egs, tmp_path / "exp", recipe_env


def _train(repo, setup, *extra):
    cmd, config, egs, exp, env = setup
    r = subprocess.run(["bash", "steps/train.sh", "--cmd", str(cmd), str(config), str(exp),
                        "--data", "egs", "--data_conf.egs_dir", str(egs), *extra],
                       cwd=repo, env=env, capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


def _calls(exp: Path) -> int:
    return len((exp / "calls").read_text().splitlines())


def test_identical_rerun_skips_changed_egs_retrain_from_scratch(repo, setup):
    _, config, egs, exp, _ = setup
    _train(repo, setup)
    assert _calls(exp) == 1
    config.write_text("model: xvector\n")  # touched, same content
    assert "up to date" in _train(repo, setup) and _calls(exp) == 1
    (egs / "info" / "num_speakers").write_text("12\n")  # egs rebuilt from other data
    text = _train(repo, setup)
    assert _calls(exp) == 2 and "other inputs" in text
    assert (exp / "checkpoints_seen").read_text() == ""  # the old checkpoint was not resumed
    (egs / "egs.1.ark").write_bytes(b"ARK2")  # an archive rewritten under the same info
    _train(repo, setup)
    assert _calls(exp) == 3
    assert "up to date" in _train(repo, setup) and _calls(exp) == 3
    _train(repo, setup, "--train_conf.epochs", "2")  # another override
    assert _calls(exp) == 4
    config.write_text("model: ecapa_tdnn\n")  # another config
    _train(repo, setup, "--train_conf.epochs", "2")
    assert _calls(exp) == 5


def test_killed_run_resumes_from_its_own_checkpoints(repo, setup):
    _, _, _, exp, _ = setup
    _train(repo, setup)
    (exp / "final.pt").unlink()  # killed before the end: checkpoints of these inputs only
    _train(repo, setup)
    assert _calls(exp) == 2 and (exp / "checkpoints_seen").read_text() == "epoch_1.pt\n"


def test_override_file_content_is_signed(repo, setup, tmp_path):
    _, _, _, exp, _ = setup
    chain = tmp_path / "augment.yaml"
    chain.write_text("stages: []\n")
    _train(repo, setup, "--data_conf.augment", str(chain))
    assert "up to date" in _train(repo, setup, "--data_conf.augment", str(chain))
    chain.write_text("stages: [{name: add_noise}]\n")
    _train(repo, setup, "--data_conf.augment", str(chain))
    assert _calls(exp) == 2
