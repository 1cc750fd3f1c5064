"""Choosing the back-end on the validation split (TrainAndTest.metrics.selection and
bin/select_backend): the mean over per-domain lists is the criterion, grids resolve to their
best value, ties go to the lower minDCF then the smaller value, and missing rows are errors."""

from __future__ import annotations

import pytest
import yaml

from TrainAndTest.bin import select_backend
from TrainAndTest.metrics.results import add_list_means, update_results
from TrainAndTest.metrics.selection import choose


def _results(path, table):
    for system, lists in table.items():
        for name, (eer, dcf) in lists.items():
            update_results(path, {"system": system, "trials": f"v/{name}",
                                  "EER%": f"{eer:.2f}", "minDCF(0.01)": f"{dcf:.4f}"})
    add_list_means(path)
    return path


def test_mean_of_domain_lists_decides_not_the_full_list(tmp_path):
    # plda is better on the pooled list, cosine_dc on the mean of the per-domain lists
    p = _results(tmp_path / "V.md", {
        "plda": {"trials": (5.0, 0.5), "trials_a": (6.0, 0.5), "trials_b": (10.0, 0.5)},
        "cosine_dc": {"trials": (7.0, 0.5), "trials_a": (5.0, 0.5), "trials_b": (9.0, 0.5)},
    })
    assert select_backend.main([str(p), str(tmp_path / "s.yaml")]) == 0
    s = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert s["system"] == "cosine_dc" and s["criterion"] == "v/mean(trials_*)"
    assert s["candidates"] == {"plda": 8.0, "cosine_dc": 7.0}
    assert s["runner_up"] == "plda"


def test_grid_resolves_to_best_value_with_tie_breaks(tmp_path, capsys):
    p = _results(tmp_path / "V.md", {
        "cosine": {"trials": (9.0, 0.9)},
        "plda_adapt_w1": {"trials": (8.0, 0.7)},
        "plda_adapt_w2": {"trials": (7.0, 0.8)},
        "plda_adapt_w3": {"trials": (7.0, 0.6)},  # same EER as w2, lower minDCF
        "plda_adapt_w5": {"trials": (7.0, 0.6)},  # full tie with w3: the smaller value wins
    })
    out = tmp_path / "s.yaml"
    assert select_backend.main(["--grid", "plda_adapt=domain_weight", str(p), str(out)]) == 0
    s = yaml.safe_load(out.read_text())
    assert (s["system"], s["domain_weight"]) == ("plda_adapt", 3)
    assert s["domain_weight_candidates"] == {1: 8.0, 2: 7.0, 3: 7.0, 5: 7.0}
    capsys.readouterr()
    assert select_backend.main(["--get", "domain_weight", str(out)]) == 0
    assert capsys.readouterr().out.strip() == "3"
    assert select_backend.main(["--get", "candidates", str(out)]) == 0  # a mapping: its keys
    assert capsys.readouterr().out.split() == ["cosine", "plda_adapt"]
    assert select_backend.main(["--get", "runner_up", str(out)]) == 0  # the next best system
    assert capsys.readouterr().out.strip() == "cosine"
    assert select_backend.main(["--describe", str(out)]) == 0
    line = capsys.readouterr().out
    assert "system plda_adapt" in line and "domain_weight 3" in line and "cosine 9.00" in line


def test_missing_rows_and_files_are_errors_naming_them(tmp_path, capsys):
    p = _results(tmp_path / "V.md", {"cosine": {"trials_a": (9.0, 0.9)}})  # one list: no mean
    with pytest.raises(ValueError, match="no 'trials' or 'mean\\(trials_\\*\\)' row for system cosine"):
        from TrainAndTest.metrics.results import read_rows
        choose(read_rows(p))
    p2 = _results(tmp_path / "V2.md", {"cosine": {"trials": (9.0, 0.9)}})
    assert select_backend.main(["--systems", "cosine plda", str(p2), str(tmp_path / "s.yaml")]) == 1
    assert "no rows for plda" in capsys.readouterr().err
    assert not (tmp_path / "s.yaml").exists()
    assert select_backend.main(["--get", "x", str(tmp_path / "nope.yaml")]) == 1
    assert "nope.yaml" in capsys.readouterr().err


def test_two_validation_sets_are_judged_by_the_mean_of_their_criteria(tmp_path):
    """The split and its telephone copy: each set's criterion (its per-domain mean), then
    their mean; a system missing from one set is an error naming both sets."""
    p = tmp_path / "V.md"
    table = {  # (set, list): (plda EER, cosine_dc EER)
        ("v", "trials_a"): (5.0, 6.0), ("v", "trials_b"): (7.0, 8.0),  # clean: plda 6, dc 7
        ("v_tel", "trials_a"): (12.0, 8.0), ("v_tel", "trials_b"): (10.0, 8.0),  # plda 11, dc 8
    }
    for (vset, name), eers in table.items():
        for system, eer in zip(("plda", "cosine_dc"), eers):
            update_results(p, {"system": system, "trials": f"{vset}/{name}",
                               "EER%": f"{eer:.2f}", "minDCF(0.01)": "0.5000"})
    add_list_means(p)
    from TrainAndTest.metrics.results import read_rows

    s = choose(read_rows(p))
    assert s["system"] == "cosine_dc" and s["candidates"] == {"plda": 8.5, "cosine_dc": 7.5}
    assert s["criterion"] == "mean(v/mean(trials_*), v_tel/mean(trials_*))"
    only_clean = [r for r in read_rows(p) if not (r["system"] == "plda" and "v_tel/" in r["trials"])]
    with pytest.raises(ValueError, match="rows of v, v_tel but system plda only of v"):
        choose(only_clean)


def test_one_candidate_has_no_runner_up(tmp_path):
    p = _results(tmp_path / "V.md", {"cosine": {"trials": (9.0, 0.9)}})
    assert select_backend.main([str(p), str(tmp_path / "s.yaml")]) == 0
    s = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert s["system"] == "cosine" and "runner_up" not in s
