"""Benchmark: EER + minDCF of 10M trials, and cosine scoring of 10M trials from 100k embeddings.

Usage:
    python bench/scoring.py [--n-trials 10000000] [--n-embeddings 100000] [--dim 256]
    python bench/scoring.py --cli 10000000,100000000 [--work-dir /tmp/bench_scoring] \
        [--n-cohort 100000] [--keep-files]

Arrays in memory (default): wall time and peak memory of each part and the speed ratio
against a reference computed in the same run: ``sklearn.metrics.roc_curve`` operating
points followed by the same EER/minDCF formulas. Peak memory is measured with tracemalloc
(numpy reports its buffers to it) around each call, plus the process's peak RSS at the end.

``--cli``: the command lines end to end on text files, for each list length: a trial list
(Kaldi format) over ``--n-embeddings`` embeddings (10 per speaker, 5 % target trials) is
written, then ``score_cosine``, ``score_plda``, ``score_norm --method asnorm`` (cohort of
``--n-cohort`` speaker means, top 300) and ``compute_metrics`` (on the cosine scores) run as
child processes; each row is the child's wall time, CPU time (user + system) and peak RSS
(``wait4``), with the load averages before and after it, since a shared machine's load
changes the wall times. ``score_norm`` runs a second time with ``--cohort-screen off``
(every cohort score in float32: the reference of the bfloat16 screen) and the ratio and the
largest score difference are printed. ``--baseline DIR`` runs each command a second time from another
checkout (before/after under the same load). The files are removed at the end unless
``--keep-files``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from TrainAndTest.backend.cosine import cosine_score_pairs  # noqa: E402
from TrainAndTest.metrics.error_rates import compute_metrics  # noqa: E402

P_TARGETS = (0.01, 0.001, 0.05)


def sklearn_metrics(scores, labels):
    """Reference: roc_curve operating points, then EER and minDCF as in error_rates."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    fnr = 1 - tpr
    d = fnr - fpr
    k = int(np.flatnonzero(d <= 0)[0])
    a = 0.0 if d[k] == 0 else d[k - 1] / (d[k - 1] - d[k])
    eer = fnr[k] if d[k] == 0 else fnr[k - 1] + a * (fnr[k] - fnr[k - 1])
    out = {"eer": eer}
    for p in P_TARGETS:
        out[f"min_dcf@{p:g}"] = (p * fnr + (1 - p) * fpr).min() / min(p, 1 - p)
    return out


def measure(fn, *args, **kwargs):
    """(result, seconds, peak MiB allocated during the call)."""
    tracemalloc.start()
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def _write_lines(path: Path, columns, n: int, block: int = 1_000_000) -> None:
    """Write ``n`` lines whose fields come from ``columns(start, stop)`` (Arrow arrays)."""
    import pyarrow.compute as pc

    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        for start in range(0, n, block):
            cols = columns(start, min(start + block, n))
            line = pc.binary_join_element_wise(*cols, " ")
            data = pc.binary_join_element_wise(line, "\n", "")
            end = int(np.frombuffer(data.buffers()[1], dtype=np.int32)[len(data)])
            f.write(memoryview(data.buffers()[2])[:end])
    os.replace(tmp, path)


def make_cli_inputs(work: Path, n_emb: int, dim: int, n_cohort: int, seed: int) -> dict:
    """Embeddings (npz), a PLDA back-end and a cohort of speaker means under ``work``."""
    from TrainAndTest.backend.pipeline import PldaBackend

    rng = np.random.default_rng(seed)
    n_spk = n_emb // 10
    centres = rng.normal(size=(n_spk, dim)).astype(np.float32)
    emb = centres[np.arange(n_emb) // 10] + 1.5 * rng.normal(size=(n_emb, dim)).astype(np.float32)
    ids = np.array([f"spk{i // 10:06d}-utt{i % 10:02d}" for i in range(n_emb)])
    np.savez(work / "emb.npz", ids=ids, embeddings=emb)
    cohort = rng.normal(size=(n_cohort, dim)).astype(np.float32)
    np.savez(work / "cohort.npz", ids=np.array([f"coh{i:06d}" for i in range(n_cohort)]),
             embeddings=cohort)
    tr_spk = 500
    tr = (rng.normal(size=(tr_spk, dim))[np.repeat(np.arange(tr_spk), 8)]
          + 1.5 * rng.normal(size=(tr_spk * 8, dim)))
    PldaBackend(lda_dim=128).fit(tr, np.repeat(np.arange(tr_spk), 8)).save(work / "plda.npz")
    return {"ids": ids, "n_spk": n_spk}


def make_trials(path: Path, ids: np.ndarray, n: int, seed: int) -> None:
    """A Kaldi trial list of ``n`` trials, 5 % of them same-speaker (target)."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    id_arr = pa.array(ids)
    names = pa.array(["nontarget", "target"])

    def columns(start, stop):
        k = stop - start
        e = rng.integers(0, len(ids), k)
        tar = rng.random(k) < 0.05
        t = np.where(tar, (e // 10) * 10 + rng.integers(0, 10, k), rng.integers(0, len(ids), k))
        tar = (t // 10) == (e // 10)
        return (id_arr.take(pa.array(e)), id_arr.take(pa.array(t)),
                names.take(pa.array(tar.astype(np.int64))))

    _write_lines(path, columns, n)


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run_child(cmd, pythonpath=None) -> tuple:
    """(wall seconds, CPU seconds, peak RSS MiB, output tail) of a child process.

    ``pythonpath``: run the modules of another checkout (the ``--baseline``).
    """
    env = None
    if pythonpath:  # `python -m` puts the working directory first on sys.path: run there
        env = dict(os.environ, PYTHONPATH=str(pythonpath))
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            cwd=pythonpath or None)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{out}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 2**10, out.strip().splitlines()[-1] if out.strip() else ""


def max_abs_difference(a: Path, b: Path) -> float:
    """Largest difference between the scores of two score files of the same trials, read
    in blocks side by side (same order: both written in trial-list order)."""
    from TrainAndTest.io.trial_blocks import iter_score_blocks

    worst = 0.0
    for x, y in zip(iter_score_blocks(a), iter_score_blocks(b), strict=True):
        if x.enrol != y.enrol or x.test != y.test:
            raise RuntimeError(f"{a} and {b}: different trials at line {x.start + 1}")
        worst = max(worst, float(np.max(np.abs(x.scores - y.scores))))
    return worst


def cli_bench(args) -> int:
    """End-to-end command lines on text files for each list length of ``--cli``."""
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.cli.split(",") if x]
    t = time.perf_counter()
    info = make_cli_inputs(work, args.n_embeddings, args.dim, args.n_cohort, args.seed)
    print(f"# inputs: {args.n_embeddings} x {args.dim} embeddings, cohort {args.n_cohort}, "
          f"PLDA (LDA 128) in {time.perf_counter() - t:.1f} s")
    py = [sys.executable, "-m"]
    emb = str(work / "emb.npz")
    try:
        for n in sizes:
            trials = work / f"trials_{n}"
            t = time.perf_counter()
            make_trials(trials, info["ids"], n, args.seed)
            size = trials.stat().st_size / 2**30
            print(f"# {n} trials: list {size:.2f} GiB written in {time.perf_counter() - t:.0f} s")
            cos, plda, norm, norm_ref = (work / f"{x}_{n}" for x in (
                "cosine", "plda", "asnorm", "asnorm_screen_off"))
            asnorm = py + ["TrainAndTest.bin.score_norm", trials, cos, emb, emb,
                           work / "cohort.npz"]
            steps = [  # (name, label, command)
                ("score_cosine", "", py + ["TrainAndTest.bin.score_cosine", trials, emb, emb,
                                           cos]),
                ("compute_metrics", "", py + ["TrainAndTest.bin.compute_metrics", trials, cos,
                                              "--tmp-dir", work]),
                ("score_plda", "", py + ["TrainAndTest.bin.score_plda", work / "plda.npz",
                                         trials, emb, emb, plda]),
                ("score_norm asnorm", "", asnorm + [norm, "--top-k", "300"]),
            ]
            if args.screen_reference:
                # The reference for the bfloat16 screen: every cohort score in float32 (this
                # checkout only: a --baseline may predate the option).
                steps.append(("score_norm asnorm", "(screen off)", asnorm + [
                    norm_ref, "--top-k", "300", "--cohort-screen", "off"]))
            times = {}
            for name, step_label, cmd in steps:
                if name.split()[0] not in args.steps.split(","):
                    continue
                runs = [(step_label, None)]
                if args.baseline and not step_label:
                    runs.append(("(baseline)", args.baseline))
                for label, path in runs:
                    before = _load()
                    wall, cpu, rss, last = run_child([str(c) for c in cmd], path)
                    print(f"{name:18s}{label:>13s} {n:>11,d} trials: {wall:7.1f} s wall "
                          f"{cpu:7.1f} s CPU  peak RSS {rss:7.0f} MiB  | {last}  "
                          f"| load {before} -> {_load()}", flush=True)
                    times[(name, label)] = (wall, cpu)
            if ("score_norm asnorm", "(screen off)") in times:
                (w1, c1), (w0, c0) = (times[("score_norm asnorm", x)] for x in ("", "(screen off)"))
                print(f"score_norm asnorm screened vs screen off: {w0 / w1:.2f}x wall, "
                      f"{c0 / c1:.2f}x CPU; max |score difference| "
                      f"{max_abs_difference(norm, norm_ref):.2e}", flush=True)
            if not args.keep_files:
                for f in (trials, cos, plda, norm, norm_ref):
                    f.unlink(missing_ok=True)
    finally:
        if not args.keep_files:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    """Run the benchmarks and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-trials", type=int, default=10_000_000)
    ap.add_argument("--n-embeddings", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--target-fraction", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cli", default="", help="comma-separated list lengths: CLI rows")
    ap.add_argument("--work-dir", default="/tmp/bench_scoring", help="files of --cli")
    ap.add_argument("--n-cohort", type=int, default=100_000, help="AS-norm cohort of --cli")
    ap.add_argument("--keep-files", action="store_true", help="keep the --cli files")
    ap.add_argument("--steps", default="score_cosine,compute_metrics,score_plda,score_norm",
                    help="--cli commands to run (compute_metrics and score_norm read the "
                         "cosine scores)")
    ap.add_argument("--screen-reference", type=int, default=1,
                    help="--cli: also run score_norm with --cohort-screen off (the float32 "
                         "reference of the bfloat16 screen), print the speed ratio and the "
                         "largest score difference; 0 skips it")
    ap.add_argument("--baseline", default="",
                    help="--cli: also run each command from this checkout (PYTHONPATH), "
                         "e.g. `git archive <rev> TrainAndTest Process_Data | tar -x -C DIR`")
    args = ap.parse_args()
    if args.cli:
        return cli_bench(args)
    rng = np.random.default_rng(args.seed)
    n = args.n_trials
    labels = (rng.random(n) < args.target_fraction).astype(np.int8)
    # float32 scores rounded to 1e-4, like a score file: many ties.
    scores = np.round(rng.normal(0, 1, n) + 2.5 * labels, 4)
    print(f"# {n} trials ({int(labels.sum())} target), machine: see docs/BENCHMARKS.md")

    ours, t_ours, m_ours = measure(compute_metrics, scores, labels, P_TARGETS)
    print(f"ours    EER+minDCF(x3): {t_ours:6.2f} s  peak {m_ours:7.1f} MiB  "
          f"EER {100 * ours['eer']:.4f}%  minDCF(0.01) {ours['min_dcf@0.01']:.4f}")
    ref, t_ref, m_ref = measure(sklearn_metrics, scores, labels)
    print(f"sklearn EER+minDCF(x3): {t_ref:6.2f} s  peak {m_ref:7.1f} MiB  "
          f"EER {100 * ref['eer']:.4f}%  minDCF(0.01) {ref['min_dcf@0.01']:.4f}")
    diff = max(abs(ours[k] - ref[k]) for k in ref)
    print(f"ratio sklearn/ours time: {t_ref / t_ours:.2f}x  max |difference|: {diff:.2e}")
    del scores, labels

    m, d = args.n_embeddings, args.dim
    emb = rng.normal(size=(m, d)).astype(np.float32)
    ei = rng.integers(0, m, n)
    ti = rng.integers(0, m, n)
    cos, t_cos, m_cos = measure(cosine_score_pairs, emb, emb, ei, ti)
    check = slice(0, 1000)
    a, b = emb[ei[check]].astype(np.float64), emb[ti[check]].astype(np.float64)
    ref_cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    full_gib = m * m * 4 / 2**30
    print(f"cosine {n} trials from {m} x {d} embeddings: {t_cos:6.2f} s  peak "
          f"{m_cos:7.1f} MiB (a full {m} x {m} float32 matrix would be {full_gib:.1f} GiB); "
          f"max |err| vs float64 {np.abs(cos[check] - ref_cos).max():.1e}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"process peak RSS: {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
