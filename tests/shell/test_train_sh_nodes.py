"""steps/train.sh --nnodes N on a backend that cannot span nodes: a clear error, nothing run.

The multi-node path itself runs for real in tests/shell/test_slurm_pl.py (Slurm) and
tests/TrainAndTest/test_launch_node.py (two launchers on this machine).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_nnodes_2_with_run_pl_is_refused_by_name(recipe_env, tmp_path):
    for name in ("utils", "steps", "path.sh", "conf"):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / "tiny.yaml").write_text("model: lstm\n")
    res = subprocess.run(["steps/train.sh", "--cmd", "run.pl", "--nnodes", "2", "tiny.yaml",
                          "exp/x"], cwd=tmp_path, env=recipe_env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 1
    assert "run.pl: error: --nodes 2: run.pl runs jobs on this machine only" in res.stderr
    assert res.stderr.rstrip().endswith(
        "steps/train.sh: training was not started (see the backend's message above)")
    assert not (tmp_path / "exp/x/log/train.log").exists()
