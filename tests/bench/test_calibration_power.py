"""bench/calibration_power.py: a calibrated system passes on large lists, often not on small ones."""

import importlib.util

import numpy as np

from tests.conftest import REPO


def _load():
    spec = importlib.util.spec_from_file_location(
        "bench_calibration_power", REPO / "bench" / "calibration_power.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_large_list_passes_small_list_often_fails():
    bench = _load()
    rng = np.random.default_rng(0)
    big = bench.ratios(4000, 4000, 10.0, 0.01, 40, rng)
    small = bench.ratios(200, 183, 10.0, 0.01, 200, rng)
    assert np.all(big >= 1.0 - 1e-12) and np.all(small >= 1.0 - 1e-12)  # act >= min always
    assert bench.summarise(big, 1.2)[3] == 1.0
    assert np.median(big) < 1.1
    # ur-sized list: a perfectly calibrated system fails the 20 % criterion most of the time
    assert bench.summarise(small, 1.2)[3] < 0.5
    assert np.median(small) > 1.2


def test_miscalibrated_system_fails_on_a_large_list():
    bench = _load()
    from TrainAndTest.metrics.error_rates import compute_act_dcf, compute_min_dcf
    rng = np.random.default_rng(1)
    d = 2.56  # EER 10 %
    x = np.r_[rng.normal(d / 2, 1, 4000), rng.normal(-d / 2, 1, 4000)]
    y = np.r_[np.ones(4000, int), np.zeros(4000, int)]
    for llr in (d * x + 2.0, 0.3 * d * x):  # shifted, underconfident
        assert compute_act_dcf(llr, y, 0.01) / compute_min_dcf(llr, y, 0.01)[0] > 1.2
    assert bench.ratios(4000, 4000, 10.0, 0.01, 5, rng).max() < 1.2


def test_bad_lists_option(capsys):
    bench = _load()
    assert bench.main(["--lists", "a:10:10"]) == 2
    assert "name:targets:nontargets:eer%" in capsys.readouterr().err
    assert bench.main(["--lists", "a:10:0:5"]) == 2
