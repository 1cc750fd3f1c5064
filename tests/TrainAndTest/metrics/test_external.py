"""External-sort metrics equal the in-memory ones exactly, across runs, blocks and ties."""

import numpy as np
import pytest

from TrainAndTest.backend.thresholds import threshold_rows_from_metrics, threshold_table
from TrainAndTest.bin import compute_metrics as cli
from TrainAndTest.io.trials import write_scores
from TrainAndTest.metrics.error_rates import compute_metrics
from TrainAndTest.metrics.external import ExternalDet

P = (0.01, 0.001, 0.05)


def _case(seed, n, decimals):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rng.uniform(0.05, 0.5)).astype(int)
    y[:2] = [1, 0]
    s = np.round(rng.normal(size=n) + rng.uniform(0.5, 3) * y, decimals)  # many ties
    return s, y


@pytest.mark.parametrize("seed,n,decimals,run,block", [
    (0, 5000, 1, 100, 37),      # 50 runs, heavy ties (about 60 distinct scores)
    (1, 5000, 3, 999, 1000),
    (2, 3000, 6, 1, 250),       # one trial per run
    (3, 2000, 2, 10_000, 64),   # all in memory
    (4, 4000, 0, 333, 17),      # integer scores: ties across every run boundary
])
def test_external_equals_in_memory_exactly(seed, n, decimals, run, block, tmp_path):
    s, y = _case(seed, n, decimals)
    ref = compute_metrics(s, y, P, calibrated=True)
    ext = ExternalDet(run_size=run, tmp_dir=str(tmp_path), calibrated=True, p_targets=P)
    for i in range(0, n, block):
        ext.add(s[i:i + block], y[i:i + block])
    assert ext.num_runs == n // run
    got = ext.metrics(P, fars=(0.01, 0.001))
    for key, value in ref.items():
        if key.startswith(("act_dcf", "cllr")):
            assert got[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert got[key] == value, key  # bit-identical: same points, same formulas
    rows = threshold_table(s, y)
    assert threshold_rows_from_metrics(got, (0.01, 0.001)) == rows
    assert list(tmp_path.iterdir()) == []  # run files removed


def test_all_tied_and_perfect_separation():
    for s, y in [(np.zeros(10), np.r_[np.ones(3), np.zeros(7)]),
                 (np.r_[np.ones(5), np.zeros(5)], np.r_[np.ones(5), np.zeros(5)])]:
        ext = ExternalDet(run_size=3)
        ext.add(s, y)
        got, ref = ext.metrics(P), compute_metrics(s, y, P)
        assert all(got[k] == ref[k] for k in ref)


def test_one_class_is_an_error():
    ext = ExternalDet(run_size=2)
    ext.add(np.array([0.1, 0.2, 0.3]), np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="both target and non-target"):
        ext.metrics()
    with pytest.raises(ValueError, match="NaN"):
        ExternalDet().add(np.array([np.nan]), np.array([1]))


def _files(tmp_path, s, y, order=None):
    e = [f"e{i % 97}" for i in range(len(s))]
    t = [f"t{i}" for i in range(len(s))]
    (tmp_path / "trials").write_text("".join(
        f"{a} {b} {'target' if lab else 'nontarget'}\n" for a, b, lab in zip(e, t, y)))
    idx = np.arange(len(s)) if order is None else order
    write_scores(tmp_path / "scores", [e[i] for i in idx], [t[i] for i in idx], s[idx])


@pytest.mark.parametrize("shuffle", [False, True])
def test_cli_blocked_equals_whole(tmp_path, capsys, shuffle):
    s, y = _case(5, 3000, 2)
    order = np.random.default_rng(0).permutation(3000) if shuffle else None
    _files(tmp_path, s, y, order)
    args = [str(tmp_path / "trials"), str(tmp_path / "scores"), "--thresholds",
            "--tmp-dir", str(tmp_path)]
    assert cli.main(args) == 0
    whole = capsys.readouterr().out
    assert cli.main(args + ["--block-size", "7", "--run-size", "100"]) == 0
    blocked = capsys.readouterr().out
    assert blocked == whole
    ref = compute_metrics(np.round(s, 6), y, P)
    assert f"EER: {100 * ref['eer']:.2f}%" in whole
    assert f"minDCF(0.01): {ref['min_dcf@0.01']:.4f}" in whole


def test_cli_names_missing_trials(tmp_path, capsys):
    s, y = _case(6, 500, 2)
    _files(tmp_path, s, y)
    lines = (tmp_path / "scores").read_text().splitlines(keepends=True)
    del lines[123], lines[400]
    (tmp_path / "scores").write_text("".join(lines))
    args = [str(tmp_path / "trials"), str(tmp_path / "scores"), "--block-size", "16",
            "--run-size", "50"]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "2 of 500 trials" in err and "e26 t123" in err and "e13 t401" in err
    assert cli.main(args + ["--allow-missing"]) == 0
    out = capsys.readouterr()
    keep = np.ones(500, bool)
    keep[[123, 401]] = False
    ref = compute_metrics(s[keep], y[keep], P)
    assert f"EER: {100 * ref['eer']:.2f}%" in out.out
    assert "dropped 2 of 500" in out.err
