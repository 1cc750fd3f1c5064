"""Streamed trial/score files: blocks equal the whole-file readers, errors name file:line."""

import numpy as np
import pyarrow as pa
import pytest

from TrainAndTest.io.embeddings import EmbeddingError
from TrainAndTest.io.trial_stream import (
    EmbeddingRows,
    MatchReport,
    ScoreWriter,
    iter_matched_scores,
    iter_score_blocks,
    iter_trial_blocks,
    warn_extra,
)
from TrainAndTest.io.trials import TrialsError, read_scores, read_trials, write_scores


def _write(path, text):
    path.write_text(text)
    return path


def _lists(tmp_path, n=1000, seed=0):
    """A Kaldi list and its score file in trial order, with ties (2 decimals)."""
    rng = np.random.default_rng(seed)
    e = [f"spk{i % 37:02d}-utt{i % 101:03d}" for i in range(n)]
    t = [f"spk{(i * 7) % 41:02d}-utt{(i * 13) % 97:03d}" for i in range(n)]
    lab = (rng.random(n) < 0.2).astype(int)
    s = np.round(rng.normal(size=n) + 2 * lab, 2)
    _write(tmp_path / "trials", "".join(
        f"{a} {b} {'target' if y else 'nontarget'}\n" for a, b, y in zip(e, t, lab)))
    write_scores(tmp_path / "scores", e, t, s)
    return e, t, lab, s


@pytest.mark.parametrize("block", [1, 7, 64, 1000, 5000])
def test_blocks_equal_whole_file_readers(tmp_path, block):
    e, t, lab, s = _lists(tmp_path)
    blocks = list(iter_trial_blocks(tmp_path / "trials", block))
    assert all(len(b) == block for b in blocks[:-1]) and len(blocks[-1]) <= block
    assert [b.start for b in blocks] == list(range(0, 1000, block))
    whole = read_trials(tmp_path / "trials")
    assert sum((b.enrol.to_pylist() for b in blocks), []) == whole.enrol
    assert sum((b.test.to_pylist() for b in blocks), []) == whole.test
    assert np.concatenate([b.labels for b in blocks]).tolist() == whole.labels.tolist()
    sb = list(iter_score_blocks(tmp_path / "scores", block))
    assert np.concatenate([b.scores for b in sb]).tolist() == read_scores(tmp_path / "scores")[2].tolist()


@pytest.mark.parametrize("piece", [5, 64, 4096])
def test_file_read_in_pieces_cut_inside_lines(tmp_path, monkeypatch, piece):
    """Pieces smaller than a line, and cut mid-line, parse to the same trials; a bad line
    in a later piece still names its own line."""
    from TrainAndTest.io import trial_blocks

    monkeypatch.setattr(trial_blocks, "_READ_BYTES", piece)
    e, t, lab, s = _lists(tmp_path, n=300)
    blocks = list(iter_trial_blocks(tmp_path / "trials", 50))
    assert sum((b.enrol.to_pylist() for b in blocks), []) == e
    assert np.concatenate([b.labels for b in blocks]).tolist() == lab.tolist()
    sb = list(iter_score_blocks(tmp_path / "scores", 50))
    assert np.concatenate([b.scores for b in sb]).tolist() == s.tolist()
    no_newline = _write(tmp_path / "s2", "a b 1\n" * 40 + "a c 2")
    assert np.concatenate([b.scores for b in iter_score_blocks(no_newline, 7)])[-1] == 2.0
    bad = _write(tmp_path / "s3", "a b 1\n" * 250 + "a c x\n" + "a d 2\n" * 10)
    with pytest.raises(TrialsError, match=r"s3:251: score 'x' is not a number"):
        list(iter_score_blocks(bad, 64))


def test_reader_left_unfinished_exits_cleanly(tmp_path):
    """A reader abandoned after its first block (a generator never closed) leaves nothing
    running at interpreter exit: the process ends with status 0 (Arrow's streaming reader
    left threads that aborted the process, exit 134)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    _lists(tmp_path, n=20000)
    code = ("import sys; from TrainAndTest.io.trial_blocks import iter_score_blocks, "
            "iter_trial_blocks\n"
            "a = iter_score_blocks(sys.argv[1], 10); next(a)\n"
            "b = iter_trial_blocks(sys.argv[2], 10); next(b)\n")
    for _ in range(3):
        proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "scores"),
                               str(tmp_path / "trials")], cwd=REPO, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]


def test_vox_and_unlabelled_formats(tmp_path):
    v = list(iter_trial_blocks(_write(tmp_path / "v", "1 a b\n0 a c\n"), 1))
    assert [b.labels.tolist() for b in v] == [[1], [0]]
    assert [b.enrol.to_pylist() + b.test.to_pylist() for b in v] == [["a", "b"], ["a", "c"]]
    u = list(iter_trial_blocks(_write(tmp_path / "u", "a b\nc d\n"), 5))
    assert u[0].labels.tolist() == [-1, -1]


@pytest.mark.parametrize("text,line", [
    ("a b target\na c maybe\n", 2),
    ("1 a b\n2 a c\n", 2),
    ("1 a b\n\n", 2),
    ("a b c d\n", 1),
    ("a b target\n" * 300 + "a b c d\n", 301),
])
def test_bad_trials_name_file_and_line(tmp_path, text, line):
    p = _write(tmp_path / "trials", text)
    with pytest.raises(TrialsError, match=f"{p}:{line}:"):
        list(iter_trial_blocks(p, 64))


def test_bad_scores_name_file_and_line(tmp_path):
    good = "a b 0.5\n" * 200
    with pytest.raises(TrialsError, match=r"scores:201: score is nan"):
        list(iter_score_blocks(_write(tmp_path / "scores", good + "a c nan\n"), 16))
    with pytest.raises(TrialsError, match=r"s2:3: score 'x' is not a number"):
        list(iter_score_blocks(_write(tmp_path / "s2", "a b 1\na b 2\na b x\n"), 2))
    with pytest.raises(TrialsError, match=r"s3:2: expected 'enrol test score'"):
        list(iter_score_blocks(_write(tmp_path / "s3", "a b 1\na b\n"), 2))
    with pytest.raises(TrialsError, match="no scores"):
        list(iter_score_blocks(_write(tmp_path / "s4", ""), 2))


def test_any_whitespace_still_read(tmp_path):
    """Double spaces and tabs (which the fast reader rejects) go through the line parser."""
    p = _write(tmp_path / "s", "a b 1.5\na\t b  -2\nc d 3\n")
    got = list(iter_score_blocks(p, 2))
    assert np.concatenate([b.scores for b in got]).tolist() == [1.5, -2.0, 3.0]
    assert sum((b.test.to_pylist() for b in got), []) == ["b", "b", "d"]


@pytest.mark.parametrize("block", [3, 64, 5000])
def test_matched_in_order_is_lockstep(tmp_path, block):
    e, t, lab, s = _lists(tmp_path)
    report = MatchReport()
    got = list(iter_matched_scores(tmp_path / "trials", tmp_path / "scores", block,
                                   report=report))
    assert report.lockstep and report.missing == 0 and report.extra == 0
    assert np.concatenate([b.scores for b in got]).tolist() == s.tolist()


@pytest.mark.parametrize("block", [3, 64, 5000])
def test_matched_shuffled_equals_in_order(tmp_path, block):
    e, t, lab, s = _lists(tmp_path)
    # Distinct pairs only (the synthetic ids repeat): a shuffled file must not score twice.
    seen, keep = set(), []
    for i, pair in enumerate(zip(e, t)):
        if pair not in seen:
            seen.add(pair)
            keep.append(i)
    e, t, s = [e[i] for i in keep], [t[i] for i in keep], s[keep]
    _write(tmp_path / "trials", "".join(f"{a} {b} nontarget\n" for a, b in zip(e, t)))
    perm = np.random.default_rng(1).permutation(len(e))
    write_scores(tmp_path / "shuf", [e[i] for i in perm], [t[i] for i in perm], s[perm])
    report = MatchReport()
    got = list(iter_matched_scores(tmp_path / "trials", tmp_path / "shuf", block,
                                   report=report))
    assert not report.lockstep
    assert np.concatenate([b.scores for b in got]).tolist() == s.tolist()


@pytest.mark.parametrize("block", [2, 4, 100])
def test_missing_trials_named(tmp_path, block):
    trials = _write(tmp_path / "t", "".join(f"u{i} v{i} target\n" for i in range(10)))
    # In order but u5 v5 missing (not a lockstep match from there on) and u9 v9 missing.
    lines = [f"u{i} v{i} {i}\n" for i in range(10) if i not in (5, 9)]
    scores = _write(tmp_path / "s", "".join(lines) + "x y 1\n")
    with pytest.raises(TrialsError, match=r"2 of 10 trials in .*t have no score in .*s "
                                          r"\(e\.g\. u5 v5, u9 v9\)"):
        list(iter_matched_scores(trials, scores, block))
    report = MatchReport()
    got = list(iter_matched_scores(trials, scores, block, allow_missing=True, report=report))
    kept = np.concatenate([b.kept for b in got])
    assert kept.tolist() == [i not in (5, 9) for i in range(10)]
    assert np.concatenate([b.scores for b in got])[kept].tolist() == \
        [float(i) for i in range(10) if i not in (5, 9)]
    assert report.extra == 1 and report.extra_examples == ["x y"]
    assert "x y" in warn_extra(report, scores)


@pytest.mark.parametrize("block", [2, 3, 100])
def test_missing_tail_and_extra_tail_in_lockstep(tmp_path, block):
    trials = _write(tmp_path / "t", "".join(f"u{i} v{i} target\n" for i in range(7)))
    short = _write(tmp_path / "s", "".join(f"u{i} v{i} {i}\n" for i in range(5)))
    report = MatchReport()
    got = list(iter_matched_scores(trials, short, block, allow_missing=True, report=report))
    assert report.lockstep and report.missing == 2
    assert report.missing_examples == ["u5 v5", "u6 v6"]
    assert np.concatenate([b.kept for b in got]).sum() == 5
    long = _write(tmp_path / "l", "".join(f"u{i} v{i} {i}\n" for i in range(9)))
    report = MatchReport()
    got = list(iter_matched_scores(trials, long, block, report=report))
    assert report.lockstep and report.extra == 2 and report.extra_examples == ["u7 v7", "u8 v8"]
    assert np.concatenate([b.scores for b in got]).tolist() == [float(i) for i in range(7)]


def test_pair_scored_twice_names_line(tmp_path):
    trials = _write(tmp_path / "t", "a b target\na c nontarget\n")
    scores = _write(tmp_path / "s", "a c 1\na b 2\na c 3\n")
    with pytest.raises(TrialsError, match=r"s:3: pair a c scored twice"):
        list(iter_matched_scores(trials, scores, 1))


def test_writer_matches_write_scores_and_is_atomic(tmp_path):
    rng = np.random.default_rng(0)
    values = np.r_[rng.normal(size=2000) * 10, [0.0, -0.0, -1e-9, 1e-9, 0.0000005, 2.5e-7,
                                               -2.5e-7, 123456.7890125, 1e12, -3e15,
                                               0.1234565, 1.0000005]]
    ids = [f"e{i}" for i in range(len(values))]
    write_scores(tmp_path / "ref", ids, ids, values)
    with ScoreWriter(tmp_path / "new") as w:
        for i in range(0, len(values), 333):
            w.write(pa.array(ids[i:i + 333]), ids[i:i + 333], values[i:i + 333])
    assert (tmp_path / "new").read_text() == (tmp_path / "ref").read_text()
    with pytest.raises(RuntimeError):
        with ScoreWriter(tmp_path / "partial") as w:
            w.write(["a"], ["b"], np.array([1.0]))
            raise RuntimeError("interrupted")
    assert list(tmp_path.glob("partial*")) == []
    with pytest.raises(ValueError, match="a c is nan"):
        with ScoreWriter(tmp_path / "nan") as w:
            w.write(["a", "a"], ["b", "c"], np.array([0.1, np.nan]))


def test_embedding_rows_count_missing(tmp_path):
    trials = _write(tmp_path / "t", "a b target\na zz nontarget\nyy b nontarget\n")
    rows = EmbeddingRows(["a", "b"], ["a", "b"], str(trials))
    kept = np.concatenate([rows.block(tb)[2] for tb in iter_trial_blocks(trials, 2)])
    assert kept.tolist() == [True, False, False]
    with pytest.raises(EmbeddingError, match=r"2 of 3 trials .* 2 ids .*e\.g\. yy, zz"):
        rows.check(allow_missing=False)
    rows.check(allow_missing=True)


def test_writer_thread_failure_is_raised_and_nothing_appears(tmp_path, monkeypatch):
    import TrainAndTest.io.score_writer as sw

    def broken(values, end=""):
        raise OSError("disk full")

    monkeypatch.setattr(sw, "_format_fixed6", broken)
    path = tmp_path / "scores"
    with pytest.raises(OSError, match="disk full"):
        with ScoreWriter(path) as w:
            for _ in range(5):
                w.write(pa.array(["a"]), pa.array(["b"]), np.array([0.5]))
    assert not path.exists() and not list(tmp_path.glob("scores.tmp*"))


def test_fixed6_format_equals_python_on_edges_and_random_values():
    from TrainAndTest.io.score_writer import _format_fixed6

    rng = np.random.default_rng(3)
    edges = [0.0, -0.0, 1e-7, -1e-7, 5e-7, -5e-7, 2.5e-6, 0.0000005, 1.0, -1.0, 9.9999995,
             10.0, 99.9999996, 123456789.5, 999999999.9999996, -1e9 + 1, 1e9, -3e12, 0.125]
    values = np.concatenate([edges, rng.normal(size=5000), rng.normal(size=2000) * 1e5,
                             rng.normal(size=500) * 1e-6, rng.uniform(-1, 1, 2000).round(7)])
    for end in ("", "\n"):
        got = _format_fixed6(values, end).to_pylist()
        assert got == [f"{v:.6f}{end}" for v in values]
    assert _format_fixed6(np.array([]), "\n").to_pylist() == []
