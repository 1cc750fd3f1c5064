"""A tiny end-to-end run of ./run.sh on a small demo corpus: every stage's outputs exist and
validate, RESULTS.md holds an EER, a rerun skips the expensive work, and a typo in a corpus
path fails in stage 0."""

import re
import subprocess
from pathlib import Path

import pytest

from Process_Data.data_dir import validate_data_dir

TINY = [
    "--demo-speakers",
    "16",
    "--demo-utts",
    "8",
    "--demo-test-speakers",
    "4",
    "--nj",
    "2",
    "--speed-perturb",
    "true",
    "--train-overrides",
    "--train_conf.epochs 1",
    "--lm-finetune",
    "true",
    "--lm-frames",
    "120",
    "--lm-epochs",
    "1",
]


def run_recipe(repo: Path, env: dict, out: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = ["./run.sh", "--data", str(out / "data"), "--exp", str(out / "exp"), *TINY, *args]
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from tests.conftest import REPO

    out = tmp_path_factory.mktemp("recipe")
    import os

    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = run_recipe(REPO, env, out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return REPO, env, out, proc


def test_every_stage_output_exists_and_validates(tiny_run):
    _, _, out, proc = tiny_run
    data, exp = out / "data", out / "exp"
    for name in ("demo_dev", "demo_test"):
        dd = validate_data_dir(data / name)  # features included
        assert len(dd.utts) > 0 and (data / name / "utt2num_frames").is_file()
    assert (data / "demo_test" / "trials").is_file()
    egs = exp / "egs_demo_dev_train_sp_combined"
    # 12 dev speakers less the 2 of the validation split, and their 0.9x / 1.1x speed copies
    # as speakers of their own
    assert int((egs / "info" / "num_speakers").read_text()) == 30
    assert validate_data_dir(data / "demo_dev_train_sp0.9").speakers[0].startswith("sp0.9-")
    model = exp / "demo"
    for f in (
        "final.pt",
        "config.yaml",
        "environment.yaml",
        "log/train.rank0.log",
        "xvectors_demo_test/xvector.scp",
        "xvectors_demo_test/spk_xvector.scp",
        "xvectors_demo_dev/num_utts.ark",
        "tsne_demo_test.png",
    ):
        assert (model / f).is_file(), f
    # the demo's meta.csv has a corpus column: the domain systems (one domain) are scored too
    assert (model / "xvectors_demo_test_dc" / "xvector.scp").is_file()
    assert len(list((model / "scores").glob("DET_*.png"))) == 7
    results = (model / "RESULTS.md").read_text()
    eers = re.findall(r"\| (\w+) \| demo_test/trials \| ([0-9.]+) \|", results)
    systems = {"cosine", "cosine_cal", "cosine_sm", "plda", "cosine_asnorm", "cosine_dc", "plda_adapt"}
    assert {s for s, _ in eers} == systems
    assert all(0.0 <= float(e) <= 100.0 for _, e in eers)
    times = (exp / "stage_times.log").read_text()
    assert all(f"stage {n} " in times for n in range(8))
    assert "Done in" in proc.stdout + proc.stderr


def test_rerun_skips_expensive_work(tiny_run):
    repo, env, out, _ = tiny_run
    proc = run_recipe(repo, env, out, "--stage", "1", "--stop-stage", "5")
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    assert "up to date" in text and "final.pt is up to date; skipping training" in text
    assert "demo_dev_train are up to date (same training data and options); skipping" in text
    assert "xvectors_demo_dev_val is up to date (same embeddings and subset); skipping" in text


def test_typo_in_corpus_path_fails_in_stage_0(tmp_path):
    from tests.conftest import REPO

    proc = subprocess.run(
        [
            "./run.sh",
            "--corpus",
            "voxceleb-layout",
            "--data-root",
            str(tmp_path / "no_such_root"),
            "--data",
            str(tmp_path / "data"),
            "--exp",
            str(tmp_path / "exp"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "no_such_root' does not exist" in proc.stderr
    assert not (tmp_path / "exp" / "egs").exists()


def test_extraction_takes_the_front_end_from_the_model(tiny_run, tmp_path):
    """Stage 5 passed no front-end option: its embeddings equal an explicit call with the
    recipe's CMN/VAD settings (sliding 300, no VAD), and a contradicting option or a data dir
    with other features is refused naming both values."""
    import shutil
    import sys

    import kaldiio
    import numpy as np

    repo, env, out, _ = tiny_run
    model, test = out / "exp" / "demo", out / "data" / "demo_test"
    fe = __import__("torch").load(model / "final.pt", weights_only=False)["frontend"]
    assert (fe["feature"], fe["cmn"], fe["cmn_window"], fe["vad"]) == ("fbank", "sliding", 300, False)

    def extract(data, *opts):
        spec = f"ark,scp:{tmp_path}/x.ark,{tmp_path}/x.scp"
        return subprocess.run([sys.executable, "-m", "TrainAndTest.bin.extract_embeddings",
                               "--model", str(model), "--feats-scp", str(data / "feats.scp"),
                               "--data-dir", str(data), *opts, spec],
                              cwd=repo, env=env, capture_output=True, text=True)

    proc = extract(test, "--cmn-window", "300", "--use-vad", "false")
    assert proc.returncode == 0, proc.stderr
    explicit = dict(kaldiio.load_scp(f"{tmp_path}/x.scp"))
    stage5 = dict(kaldiio.load_scp(str(model / "xvectors_demo_test" / "xvector.scp")))
    assert sorted(explicit) == sorted(stage5)
    assert max(float(np.abs(explicit[u] - stage5[u]).max()) for u in stage5) < 1e-5
    proc = extract(test, "--cmn-window", "0")
    assert proc.returncode == 1
    assert "--cmn-window 0 contradicts the model, which was trained with cmn sliding (window 300)" \
        in proc.stderr
    other = tmp_path / "mfcc_test"
    shutil.copytree(test, other)
    shutil.move(other / "conf" / "fbank.conf", other / "conf" / "mfcc.conf")
    proc = extract(other)
    assert proc.returncode == 1
    assert "feature is 'mfcc' there but 'fbank' in the model" in proc.stderr


def test_large_margin_fine_tuning_is_trained_and_scored(tiny_run):
    """--lm-finetune: 120-frame egs, a model started from final.pt with margin 0.5, constant
    lr 1e-5 and no margin ramp, scored like the main model."""
    import torch
    import yaml

    _, _, out, _ = tiny_run
    exp = out / "exp"
    assert (exp / "egs_demo_dev_train_sp_combined_lm" / "info" / "frames_per_eg").read_text().split() \
        == ["120", "120"]
    # the long-chunk egs keep the main egs' classes (fewer speakers have long utterances)
    assert (exp / "egs_demo_dev_train_sp_combined_lm" / "spk2int").read_text() == \
        (exp / "egs_demo_dev_train_sp_combined" / "spk2int").read_text()
    cfg = yaml.safe_load((exp / "demo_lm" / "config.yaml").read_text())
    assert cfg["train_conf"]["init_checkpoint"] == str(exp / "demo" / "final.pt")
    assert cfg["loss_conf"]["margin"] == 0.5 and cfg["margin_scheduler"] is None
    assert cfg["scheduler"] == "constant" and cfg["optimizer_conf"]["lr"] == 1e-5
    base = torch.load(exp / "demo" / "final.pt", weights_only=False)["model"]
    tuned = torch.load(exp / "demo_lm" / "final.pt", weights_only=False)["model"]
    diffs = [float((tuned[k].float() - base[k].float()).abs().max()) for k in base
             if base[k].dtype.is_floating_point and "running_" not in k]  # weights, not BN stats
    assert 0 < max(diffs) < 0.05  # started from final.pt and moved a little (lr 1e-5, 1 epoch)
    results = (exp / "demo_lm" / "RESULTS.md").read_text()
    eers = re.findall(r"\| (\w+) \| demo_test/trials \| ([0-9.]+) \|", results)
    assert {s for s, _ in eers} == {"cosine", "cosine_cal", "cosine_sm", "plda", "cosine_asnorm",
                                    "cosine_dc", "plda_adapt"}
    assert (exp / "demo_lm" / "xvectors_demo_test" / "xvector.scp").is_file()
    assert (exp / "demo_lm" / "calibration" / "calibration.npz").is_file()  # its own fit


def _rows(results: str, trials: str):
    """system -> {column: cell} of the RESULTS.md rows of one trial list."""
    lines = [ln for ln in results.splitlines() if ln.startswith("| ")]
    cols = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [dict(zip(cols, (c.strip() for c in ln.strip("|").split("|")))) for ln in lines[1:]]
    return {r["system"]: r for r in rows if r["trials"] == trials}


def test_validation_split_and_operating_point(tiny_run):
    """Stage 2 holds out training speakers (never test speakers) as the validation split:
    the egs never see them; stage 6 computes PLDA, cohort and domain means without them,
    fits the operating point on their cosine trials and calibrates the test list's cosine
    scores with it; stage 7 reports actDCF/Cllr/min-Cllr and the thresholds table."""
    import json

    import numpy as np

    from TrainAndTest.io.trials import read_scores

    _, _, out, _ = tiny_run
    data, model = out / "data", out / "exp" / "demo"
    spk = {n: set(validate_data_dir(data / n).speakers)
           for n in ("demo_dev", "demo_dev_val", "demo_dev_train", "demo_test")}
    assert len(spk["demo_dev_val"]) == 2 and len(spk["demo_dev_train"]) == 10  # 12 * 0.1 -> 2
    assert spk["demo_dev_val"] | spk["demo_dev_train"] == spk["demo_dev"]
    assert not spk["demo_dev_val"] & spk["demo_dev_train"]
    assert not spk["demo_dev_val"] & spk["demo_test"]
    # training never saw them: the egs' speakers are the others and their speed copies
    egs_spk = {ln.split()[0] for ln in
               (out / "exp" / "egs_demo_dev_train_sp_combined" / "spk2int").read_text().splitlines()}
    assert {s.split("-", 1)[-1] if s.startswith("sp") else s for s in egs_spk} == spk["demo_dev_train"]
    utt2spk = dict(ln.split() for ln in (data / "demo_dev_val" / "utt2spk").read_text().splitlines())
    trials = [ln.split() for ln in (data / "demo_dev_val" / "trials").read_text().splitlines()]
    assert {lab for _, _, lab in trials} == {"target", "nontarget"}
    assert all((utt2spk[e] == utt2spk[t]) == (lab == "target") for e, t, lab in trials)
    # the back-end statistics never see a held-out speaker
    cohort = model / "xvectors_demo_dev_train" / "spk_xvector.scp"
    assert {ln.split()[0] for ln in cohort.read_text().splitlines()} == spk["demo_dev_train"]
    assert list((model / "xvectors_demo_dev_train").glob("plda_*.npz"))
    assert not list((model / "xvectors_demo_dev").glob("plda_*.npz"))
    n_backend = len((data / "demo_dev_train" / "utt2spk").read_text().splitlines())
    plda_log = (model / "xvectors_demo_dev_train" / "log" / "train_plda.log").read_text()
    assert f"{n_backend} of {n_backend} embeddings" in plda_log
    # the stored operating point, and the test list's cosine scores calibrated with it
    cal = np.load(model / "calibration" / "calibration.npz")
    a, b = float(cal["weights"][0]), float(cal["bias"])
    assert a > 1.0  # cosine in [-1, 1] -> LLRs of several nats: a real, positive slope
    e, t, cos = read_scores(model / "scores" / "cosine_trials_demo_test")
    e2, t2, llr = read_scores(model / "scores" / "cosine_cal_trials_demo_test")
    assert (list(e), list(t)) == (list(e2), list(t2))
    assert np.allclose(llr, a * np.asarray(cos) + b, atol=2e-6)
    ops = json.loads((model / "calibration" / "thresholds.json").read_text())
    assert [r["operating_point"] for r in ops["rows"]] == ["EER", "FAR 1%", "FAR 0.1%"]
    # the fit on the validation trials: LLRs (Cllr < 1 bit, 1 for a score that says nothing,
    # more for a wrong sign or scale) and no better than the best monotone map. The speakers
    # are unseen by this 1-epoch model, so the margin below 1 is small (0.98 when written).
    fit = dict(kv.split("=") for kv in (model / "calibration" / "fit.txt").read_text().split())
    assert float(fit["min-Cllr"]) <= float(fit["Cllr"]) < 1.0
    # RESULTS.md: the calibration columns for every system; calibration is monotone, so it
    # keeps the EER and min-Cllr of cosine. (Whether it transfers to the test speakers is
    # not asserted here: this 1-epoch model separates its 12 training speakers far better
    # than unseen ones; tests/TrainAndTest/backend/test_calibration_files.py checks the
    # transfer on scores with a known LLR.)
    rows = _rows((model / "RESULTS.md").read_text(), "demo_test/trials")
    for col in ("actDCF(0.01)", "Cllr", "min-Cllr"):
        assert all(col in r for r in rows.values()), col
    cal_row, raw = rows["cosine_cal"], rows["cosine"]
    assert cal_row["EER%"] == raw["EER%"] and cal_row["min-Cllr"] == raw["min-Cllr"]
    assert float(cal_row["min-Cllr"]) <= float(cal_row["Cllr"])
    assert "calibration: cosine_cal is cosine calibrated on demo_dev_val/trials" \
        in (model / "RESULTS.md").read_text()
    table = (model / "thresholds.md").read_text()
    for op in ("EER", "FAR 1%", "FAR 0.1%"):
        assert re.search(rf"\| {re.escape(op)} \| \S+ \| demo_test/trials \| \d+ \|", table), op


def test_backend_chosen_on_validation_split(tiny_run):
    """Stage 6 scores the validation trials with every system and every candidate domain
    weight (VALIDATION.md), chooses on them (selection.yaml), scores the test list with the
    chosen weight, and RESULTS.md names the choice and repeats the chosen system's rows."""
    import yaml

    _, _, out, _ = tiny_run
    model = out / "exp" / "demo"
    val = _rows((model / "VALIDATION.md").read_text(), "demo_dev_val/trials")
    assert set(val) == {"cosine", "cosine_sm", "plda", "cosine_asnorm", "cosine_dc", "plda_adapt_w1",
                        "plda_adapt_w2", "plda_adapt_w3", "plda_adapt_w5"}
    chosen = yaml.safe_load((model / "selection.yaml").read_text())
    assert chosen["domain_weight"] in (1, 2, 3, 5)
    best_w = min(val[f"plda_adapt_w{w}"]["EER%"] for w in (1, 2, 3, 5))
    assert val[f"plda_adapt_w{chosen['domain_weight']}"]["EER%"] == best_w
    candidates = {s: float(r["EER%"]) for s, r in val.items() if not s.startswith("plda_adapt")}
    candidates["plda_adapt"] = float(best_w)
    assert chosen["candidates"] == candidates
    assert candidates[chosen["system"]] == min(candidates.values())
    results = (model / "RESULTS.md").read_text()
    assert f"chosen on the validation split: system {chosen['system']}" in results
    rows = _rows(results, "demo_test/trials")
    picked = rows[f"selected:{chosen['system']}"]
    assert picked["EER%"] == rows[chosen["system"]]["EER%"]
    # the runner-up and how far the split resolves the choice (speaker bootstrap): its
    # difference on the full split is the two candidates' validation EERs'
    ranked = sorted(candidates.values())
    assert candidates[chosen["runner_up"]] == ranked[1] and chosen["runner_up"] != chosen["system"]
    m = re.search(rf"the choice against the runner-up {chosen['runner_up']}: the chosen system "
                  rf"minus {chosen['runner_up']} on the validation criterion, speaker bootstrap "
                  r"[^:]*: difference (-?[\d.]+) \(sd ([\d.]+)", results)
    assert m, results
    assert float(m.group(1)) == pytest.approx(ranked[0] - ranked[1], abs=0.011)
    assert float(m.group(1)) <= 0
