"""DET/histogram/t-SNE figures are written; RESULTS.md rows are replaced, not duplicated."""

import numpy as np

from TrainAndTest.metrics.error_rates import compute_metrics
from TrainAndTest.metrics.plots import plot_det, plot_score_histograms, plot_tsne
from TrainAndTest.metrics.results import add_list_means, format_row, update_results


def _png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    assert not list(path.parent.glob("*.tmp*"))


def test_figures(tmp_path):
    rng = np.random.default_rng(0)
    s = np.r_[rng.normal(2, 1, 200), rng.normal(0, 1, 2000)]
    y = np.r_[np.ones(200), np.zeros(2000)]
    plot_det(s, y, tmp_path / "det.png")
    plot_score_histograms(s, y, tmp_path / "hist.png")
    _png(tmp_path / "det.png")
    _png(tmp_path / "hist.png")
    centres = rng.normal(size=(5, 16)) * 4
    spk = np.repeat([f"spk{i}" for i in range(5)], 8)
    emb = centres[np.repeat(np.arange(5), 8)] + rng.normal(size=(40, 16))
    plotted = plot_tsne(emb, spk, tmp_path / "tsne.png", max_speakers=3)
    assert plotted == {"spk0": 8, "spk1": 8, "spk2": 8}
    _png(tmp_path / "tsne.png")


def test_results_table(tmp_path):
    p = tmp_path / "RESULTS.md"
    m = compute_metrics([0.9, 0.8, 0.1, 0.7], [1, 1, 0, 0])
    update_results(p, {"system": "cosine", "trials": "test", **format_row(m)})
    update_results(p, {"system": "plda", "trials": "test", **format_row(m)})
    update_results(p, {"system": "cosine", "trials": "test", "EER%": "9.99"})
    lines = p.read_text().splitlines()
    rows = [ln for ln in lines if ln.startswith("| cosine")]
    assert len(rows) == 1 and "9.99" in rows[0]
    assert lines[2].startswith("| system | trials | EER% | minDCF(0.01)")
    assert sum(ln.startswith("| plda") for ln in lines) == 1


def test_list_means(tmp_path):
    path = tmp_path / "RESULTS.md"
    eers = {"cosine": [6.73, 20.25, 9.09, 11.0], "plda": [6.75, 18.88, 8.4, 9.29]}
    for system, vals in eers.items():
        update_results(path, {"system": system, "trials": "set/trials", "EER%": "9.00",
                              "minDCF(0.01)": "0.5000", "trials (tar/non)": "10/10"})  # fmt: skip
        for name, eer in zip(("az", "rav", "sc", "ur"), vals):
            row = {"system": system, "trials": f"set/trials_{name}", "EER%": f"{eer:.2f}",
                   "minDCF(0.01)": f"{eer / 100:.4f}", "trials (tar/non)": "5/5"}  # fmt: skip
            update_results(path, row)
    # a system with a single per-list row gets no mean
    update_results(path, {"system": "other", "trials": "set/trials_az", "EER%": "1.00"})
    added = add_list_means(path)
    assert [(r["system"], r["trials"]) for r in added] == [
        ("cosine", "set/mean(trials_*)"),
        ("plda", "set/mean(trials_*)"),
    ]
    assert added[0]["EER%"] == "11.77" and added[1]["EER%"] == "10.83"
    assert added[1]["minDCF(0.01)"] == "0.1083" and added[0]["trials (tar/non)"] == "4 lists"
    text = path.read_text()
    assert "| cosine | set/mean(trials_*) | 11.77 | 0.1177 | 4 lists |" in text
    add_list_means(path)  # rerun: replaced, not duplicated
    assert path.read_text() == text
