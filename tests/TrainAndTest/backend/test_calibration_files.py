"""Calibration as the recipe runs it, on scores with a known LLR: fit_operating_point on
calibration trials, apply_calibration to another list, compute_metrics --calibrated
--min-cllr and threshold_report on it.

Scores are cosine-like: ``s = 0.3 + 0.1 * x`` with ``x ~ N(+1, 1)`` for targets and
``N(-1, 1)`` for non-targets, so the true LLR is ``2 x = 20 s - 6`` and the EER is
``Phi(-1) = 15.87 %``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from TrainAndTest.metrics.error_rates import compute_act_dcf, compute_cllr, compute_min_dcf


def _lists(path, name, n_tar, n_non, seed):
    """Write ``<name>.trials`` and ``<name>.scores``; returns (scores, labels)."""
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(1, 1, n_tar), rng.normal(-1, 1, n_non)]
    y = np.r_[np.ones(n_tar, int), np.zeros(n_non, int)]
    s = 0.3 + 0.1 * x
    (path / f"{name}.trials").write_text("".join(
        f"e{i} t{i} {'target' if lab else 'nontarget'}\n" for i, lab in enumerate(y)))
    (path / f"{name}.scores").write_text("".join(f"e{i} t{i} {v:.6f}\n" for i, v in enumerate(s)))
    return s, y


def _run(env, module, *args):
    return subprocess.run([sys.executable, "-m", f"TrainAndTest.bin.{module}", *map(str, args)],
                          env=env, capture_output=True, text=True)


def _metrics(stdout):
    return {k.strip(): float(v.split()[0].rstrip("%"))
            for k, v in (ln.split(":", 1) for ln in stdout.splitlines() if ":" in ln)}


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    import os

    from tests.conftest import REPO

    d = tmp_path_factory.mktemp("calib")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    _lists(d, "calib", 3000, 3000, seed=1)
    s, y = _lists(d, "test", 2000, 40000, seed=2)
    exp = d / "exp"
    assert _run(env, "fit_operating_point", d / "calib.trials", d / "calib.scores", exp).returncode == 1
    exp.mkdir()
    proc = _run(env, "fit_operating_point", d / "calib.trials", d / "calib.scores", exp)
    assert proc.returncode == 0, proc.stderr
    proc = _run(env, "apply_calibration", exp, d / "test.scores", d / "test.llr")
    assert proc.returncode == 0, proc.stderr
    return d, env, exp, s, y


def test_fitted_map_is_the_true_llr_and_transfers_to_the_test_list(calibrated):
    d, env, exp, s, y = calibrated
    z = np.load(exp / "calibration" / "calibration.npz")
    assert abs(float(z["weights"][0]) - 20) < 1.0 and abs(float(z["bias"]) + 6) < 0.3
    llr = np.array([float(ln.split()[2]) for ln in (d / "test.llr").read_text().splitlines()])
    assert np.allclose(llr, float(z["weights"][0]) * np.round(s, 6) + float(z["bias"]), atol=2e-6)
    cal = _metrics(_run(env, "compute_metrics", "--calibrated", "--min-cllr",
                        d / "test.trials", d / "test.llr").stdout)
    raw = _metrics(_run(env, "compute_metrics", "--calibrated", "--min-cllr",
                        d / "test.trials", d / "test.scores").stdout)
    true_llr = 20 * s - 6
    # calibrated: as good as the true LLR, and actDCF within 20 % of minDCF (the must-show)
    assert abs(cal["Cllr"] - compute_cllr(true_llr, y)) < 0.01
    assert cal["min-Cllr"] <= cal["Cllr"] < cal["min-Cllr"] + 0.03
    assert cal["actDCF(0.01)"] <= 1.2 * cal["minDCF(0.01)"]
    assert abs(cal["actDCF(0.01)"] - compute_act_dcf(true_llr, y, p_target=0.01)) < 0.03
    # the uncalibrated cosine-like scores, read as LLRs, are far worse; ranking is the same
    assert raw["Cllr"] > 0.9 and raw["actDCF(0.01)"] >= 0.99
    assert raw["min-Cllr"] == cal["min-Cllr"] and raw["EER"] == cal["EER"]
    assert abs(cal["minDCF(0.01)"] - compute_min_dcf(s, y, p_target=0.01)[0]) < 1e-3


def test_threshold_report_gives_the_targets_on_a_list_of_the_same_distribution(calibrated):
    d, env, exp, _, _ = calibrated
    out = d / "thresholds.md"
    proc = _run(env, "threshold_report", "--fitted-on", "calib.trials", exp, out,
                d / "test.trials", d / "test.scores")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == out.read_text() and "fitted on calib.trials" in proc.stdout
    rows = {}
    for ln in out.read_text().splitlines():
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if len(cells) == 6 and cells[0] in ("EER", "FAR 1%", "FAR 0.1%"):
            rows[(cells[0], cells[2] == "calibration")] = (float(cells[4]), float(cells[5]))
    assert abs(rows[("EER", False)][0] - 15.87) < 1.0 and abs(rows[("EER", False)][1] - 15.87) < 1.5
    assert abs(rows[("FAR 1%", False)][0] - 1.0) < 0.25 and rows[("FAR 1%", True)][0] <= 1.0
    assert rows[("FAR 0.1%", False)][0] < 0.25
    stored = json.loads((exp / "calibration" / "thresholds.json").read_text())
    assert [r["operating_point"] for r in stored["rows"]] == ["EER", "FAR 1%", "FAR 0.1%"]


def test_errors_name_the_file(calibrated, tmp_path):
    d, env, exp, _, _ = calibrated
    proc = _run(env, "apply_calibration", tmp_path, d / "test.scores", tmp_path / "x")
    assert proc.returncode == 1 and f"{tmp_path}/calibration/calibration.npz" in proc.stderr
    np.savez(tmp_path / "q.npz", weights=np.array([1.0, 0.5]), bias=np.array(0.0),
             p_target=np.array(0.5))
    proc = _run(env, "apply_calibration", tmp_path / "q.npz", d / "test.scores", tmp_path / "x")
    assert proc.returncode == 1 and "fitted with 1 quality measures" in proc.stderr
    assert not (tmp_path / "x").exists()
    proc = _run(env, "threshold_report", exp, tmp_path / "t.md", d / "test.trials")
    assert proc.returncode == 1 and "come in pairs" in proc.stderr
