"""fit_operating_point: calibration and thresholds from labelled calibration trials."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from TrainAndTest.inference.operating_point import load_operating_point


def _fit(tmp_path, exp, env):
    cmd = [sys.executable, "-m", "TrainAndTest.bin.fit_operating_point",
           str(tmp_path / "trials"), str(tmp_path / "scores"), str(exp)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


def test_fit_writes_what_verify_reads(tmp_path, recipe_env):
    rng = np.random.default_rng(1)
    n = 3000
    scores = np.r_[rng.normal(1, 1, n), rng.normal(-1, 1, n)]
    labels = ["target"] * n + ["nontarget"] * n
    trials = "".join(f"e{i} t{i} {lab}\n" for i, lab in enumerate(labels))
    (tmp_path / "trials").write_text(trials)
    (tmp_path / "scores").write_text("".join(f"e{i} t{i} {s:.6f}\n" for i, s in enumerate(scores)))
    exp = tmp_path / "exp"
    exp.mkdir()
    proc = _fit(tmp_path, exp, recipe_env)
    assert proc.returncode == 0, proc.stderr
    m = dict(kv.split("=") for kv in proc.stdout.split())
    # equal-variance Gaussians at +-1: the true LLR is 2 * score; its Cllr is about 0.62
    assert float(m["min-Cllr"]) <= float(m["Cllr"]) < 0.66
    op = load_operating_point(exp)
    assert abs(op.calibration["scale"] - 2.0) < 0.15 and abs(op.calibration["offset"]) < 0.1
    rows = {
        r["operating_point"]: r
        for r in json.loads((exp / "calibration" / "thresholds.json").read_text())["rows"]
    }
    assert abs(rows["EER"]["threshold"]) < 0.1  # symmetric classes: EER at score 0
    assert rows["FAR 1%"]["far"] <= 0.01 and rows["FAR 0.1%"]["far"] <= 0.001
    # the true 1 % FAR threshold of N(-1, 1) is -1 + 2.326
    assert abs(op.threshold(target_far=0.01) - 1.326) < 0.15
    # a score missing for a trial is named
    (tmp_path / "scores").write_text("e0 t0 0.5\n")
    proc = _fit(tmp_path, exp, recipe_env)
    assert proc.returncode == 1 and "5999 of 6000 trials" in proc.stderr
    assert "have no score in" in proc.stderr and "e1 t1" in proc.stderr
