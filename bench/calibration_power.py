"""Can a trial list show that a system is calibrated? actDCF / minDCF of a perfect system.

The calibration criterion "actDCF(p) within 20 % of minDCF(p)" is judged on finite trial
lists. minDCF is the best cost over every threshold *of that list*, so on a small list it
is optimistically low, and actDCF at the Bayes threshold moves with each false alarm (at
p = 0.01 one false alarm among N non-targets costs 99 / N). This bench draws trial lists
from a system that is calibrated by construction: target scores ``x ~ N(+d/2, 1)``,
non-target scores ``x ~ N(-d/2, 1)``, whose exact log-likelihood ratio is ``d * x``; ``d``
is set from the EER (``EER = Phi(-d/2)``). For each list size it prints how often such a
perfect system passes the criterion, against the named reference: the same system on a
list 20x larger (the asymptote, where a calibrated system passes every time).

Usage:
    python bench/calibration_power.py [--lists name:targets:nontargets:eer%,...]
        [--p-target 0.01] [--ratio 1.2] [--repeats 1000] [--seed 0]

The default lists are the minivox test lists' sizes with the cosine EERs of the AAM model
of docs/BENCHMARKS.md (the figures only describe the lists; nothing is chosen on them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from TrainAndTest.metrics.error_rates import compute_act_dcf, compute_min_dcf  # noqa: E402

MINIVOX_LISTS = "trials:4548:4494:12.13,trials_az:1100:1097:8.48,trials_rav:400:392:22.45," \
                "trials_sc:2848:2834:8.89,trials_ur:200:183:13.11"
REFERENCE_SCALE = 20


def parse_lists(text: str) -> List[Tuple[str, int, int, float]]:
    """``name:targets:nontargets:eer%`` items, comma-separated."""
    out = []
    for item in text.split(","):
        parts = item.strip().split(":")
        if len(parts) != 4:
            raise ValueError(f"--lists: '{item}' is not name:targets:nontargets:eer%")
        name, nt, nn, eer = parts
        nt, nn, eer = int(nt), int(nn), float(eer)
        if nt < 1 or nn < 1 or not 0 < eer < 50:
            raise ValueError(f"--lists: '{item}' needs positive counts and 0 < eer% < 50")
        out.append((name, nt, nn, eer))
    return out


def ratios(n_tar: int, n_non: int, eer_percent: float, p_target: float, repeats: int,
           rng: np.random.Generator) -> np.ndarray:
    """actDCF / minDCF of ``repeats`` lists drawn from a perfectly calibrated system."""
    d = -2.0 * norm.ppf(eer_percent / 100.0)
    labels = np.r_[np.ones(n_tar, dtype=int), np.zeros(n_non, dtype=int)]
    out = np.empty(repeats)
    for k in range(repeats):
        x = np.r_[rng.normal(d / 2, 1.0, n_tar), rng.normal(-d / 2, 1.0, n_non)]
        llr = d * x
        act = compute_act_dcf(llr, labels, p_target)
        out[k] = act / compute_min_dcf(llr, labels, p_target)[0]
    return out


def summarise(r: np.ndarray, limit: float) -> Tuple[float, float, float, float]:
    """Median, 5th and 95th percentile of the ratios, and the share at or under ``limit``."""
    return (float(np.median(r)), float(np.percentile(r, 5)), float(np.percentile(r, 95)),
            float(np.mean(r <= limit)))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lists", default=MINIVOX_LISTS)
    ap.add_argument("--p-target", type=float, default=0.01)
    ap.add_argument("--ratio", type=float, default=1.2, help="the criterion: act/min at most this")
    ap.add_argument("--repeats", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        lists = parse_lists(args.lists)
    except ValueError as e:
        print(f"calibration_power.py: {e}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    print(f"perfectly calibrated Gaussian system, p_target {args.p_target}, criterion act/min <= "
          f"{args.ratio}, {args.repeats} lists each; reference: the same EER on a list "
          f"{REFERENCE_SCALE}x larger")
    print("| list | targets / non-targets | EER % | act/min median | 5-95 % | P(pass) | "
          f"P(pass), {REFERENCE_SCALE}x list | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, nt, nn, eer in lists:
        med, lo, hi, ok = summarise(ratios(nt, nn, eer, args.p_target, args.repeats, rng), args.ratio)
        ref_reps = max(1, args.repeats // REFERENCE_SCALE)
        ref = summarise(ratios(nt * REFERENCE_SCALE, nn * REFERENCE_SCALE, eer, args.p_target,
                               ref_reps, rng), args.ratio)[3]
        print(f"| {name} | {nt} / {nn} | {eer:.2f} | {med:.2f} | {lo:.2f}-{hi:.2f} | {ok:.2f} | "
              f"{ref:.2f} | {ok / ref if ref else float('nan'):.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
