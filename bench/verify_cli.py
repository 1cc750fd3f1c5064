"""The ``verify`` command line on a sample of a trial list: EER of its scores and the error
rates of its accept/reject decisions at the stored operating point.

Draws ``--num-trials`` trials of a labelled list (half target, half non-target, seeded),
runs ``python -m TrainAndTest.bin.verify <exp> <enrol.wav> <test.wav>`` once per trial (a
fresh process each, as a user would; ``--jobs`` at a time) with the audio named by the data
dir's ``wav.scp``, and reports: the EER of verify's scores over the sample, the FAR and FRR
of its decisions at the stored default threshold (the EER point of the calibration trials)
and, from the same scores, at the stored FAR 1 % and FAR 0.1 % thresholds, each against its
target (the rates stored in ``<exp>/calibration/thresholds.json``); with ``--recipe-scores``
the largest difference between verify's scores and the recipe's cosine scores of the same
trials (extraction from stored features vs the model's own front end on the audio).

Usage:
    python bench/verify_cli.py [--num-trials 200] [--seed 0] [--jobs 2] \\
        [--recipe-scores exp/x/scores/cosine_trials_test] [--json out.json] \\
        <exp-dir> <data-dir> <trials>
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from Process_Data.data_dir import read_kv  # noqa: E402
from TrainAndTest.metrics.error_rates import compute_eer  # noqa: E402


def sample_trials(path: str, n: int, seed: int) -> List[Tuple[str, str, int]]:
    """``n`` trials of a Kaldi list, half target and half non-target, in a seeded order."""
    tar, non = [], []
    for line in open(path, encoding="utf-8"):
        e, t, lab = line.split()
        (tar if lab == "target" else non).append((e, t, int(lab == "target")))
    rng = random.Random(seed)
    picked = rng.sample(tar, n // 2) + rng.sample(non, n - n // 2)
    rng.shuffle(picked)
    return picked


def run_verify(exp: str, enrol: str, test: str) -> Dict[str, str]:
    """One ``verify`` process; its ``key=value`` fields (ValueError with stderr on failure)."""
    cmd = [sys.executable, "-m", "TrainAndTest.bin.verify", exp, enrol, test]
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    if proc.returncode != 0:
        raise ValueError(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    return dict(kv.split("=", 1) for kv in proc.stdout.split())


def rates(scores: np.ndarray, labels: np.ndarray, threshold: float) -> Tuple[float, float]:
    """(FAR, FRR) of accepting ``score >= threshold``."""
    return (float(np.mean(scores[labels == 0] >= threshold)),
            float(np.mean(scores[labels == 1] < threshold)))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("exp_dir")
    p.add_argument("data_dir", help="data dir whose wav.scp names the trials' audio")
    p.add_argument("trials")
    p.add_argument("--num-trials", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--recipe-scores", default="", help="the recipe's cosine scores of the list")
    p.add_argument("--json", default="", help="write the summary here too")
    args = p.parse_args(argv)

    wav = read_kv(Path(args.data_dir) / "wav.scp")
    trials = sample_trials(args.trials, args.num_trials, args.seed)
    exp = str(Path(args.exp_dir).resolve())

    def audio(utt: str) -> str:
        return str(Path(wav[utt]).resolve())

    start = time.time()
    with ThreadPoolExecutor(args.jobs) as pool:
        out = list(pool.map(lambda tr: run_verify(exp, audio(tr[0]), audio(tr[1])), trials))
    wall = time.time() - start
    scores = np.array([float(o["score"]) for o in out])
    labels = np.array([lab for _, _, lab in trials])
    accept = np.array([o["decision"] == "accept" for o in out])
    eer, _ = compute_eer(scores, labels)
    stored = json.loads((Path(args.exp_dir) / "calibration" / "thresholds.json").read_text())
    summary = {
        "trials": len(trials), "targets": int(labels.sum()), "wall_s": round(wall, 1),
        "s_per_call": round(wall * args.jobs / len(trials), 2), "eer": eer,
        "mean_target_score": float(scores[labels == 1].mean()),
        "mean_nontarget_score": float(scores[labels == 0].mean()),
        "decisions": {"far": float(np.mean(accept[labels == 0])),
                      "frr": float(np.mean(~accept[labels == 1])),
                      "threshold": float(out[0]["threshold"])},
        "operating_points": [],
    }
    for row in stored["rows"]:
        far, frr = rates(scores, labels, float(row["threshold"]))
        summary["operating_points"].append({
            "operating_point": row["operating_point"], "threshold": row["threshold"],
            "far": far, "frr": frr, "target_far": row["far"], "target_frr": row["frr"]})
    if args.recipe_scores:
        recipe = {}
        for line in open(args.recipe_scores, encoding="utf-8"):
            e, t, s = line.split()
            recipe[(e, t)] = float(s)
        diffs = [abs(recipe[(e, t)] - s) for (e, t, _), s in zip(trials, scores)]
        summary["max_abs_diff_vs_recipe_cosine"] = max(diffs)
    print(f"verify on {len(trials)} trials ({summary['targets']} target) of {args.trials}: "
          f"EER {100 * eer:.2f}%, mean score target {summary['mean_target_score']:.3f} / "
          f"non-target {summary['mean_nontarget_score']:.3f}; {wall:.0f} s "
          f"({summary['s_per_call']} s a call, {args.jobs} at a time)")
    d = summary["decisions"]
    print(f"decisions at the stored default threshold {d['threshold']:.4f}: "
          f"FAR {100 * d['far']:.1f}% FRR {100 * d['frr']:.1f}%")
    print("| operating point | threshold | FAR % (target) | FRR % (target) |")
    print("|---|---|---|---|")
    for r in summary["operating_points"]:
        print(f"| {r['operating_point']} | {r['threshold']:.4f} | {100 * r['far']:.1f} "
              f"({100 * r['target_far']:.2f}) | {100 * r['frr']:.1f} ({100 * r['target_frr']:.2f}) |")
    if args.recipe_scores:
        print(f"max |verify - recipe cosine| over the sample: "
              f"{summary['max_abs_diff_vs_recipe_cosine']:.2e}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
