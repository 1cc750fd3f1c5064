"""Trial/score parsing with file:line errors, pair matching, and embedding readers."""

import kaldiio
import numpy as np
import pytest

from TrainAndTest.io.embeddings import (
    EmbeddingError,
    Embeddings,
    read_embeddings,
    read_num_utts,
    trial_rows,
    write_embeddings,
)
from TrainAndTest.io.trials import (
    TrialsError,
    match_scores,
    read_scores,
    read_trials,
    write_scores,
)


def _write(path, text):
    path.write_text(text)
    return path


def test_read_both_trial_formats(tmp_path):
    k = read_trials(_write(tmp_path / "k", "a b target\na c nontarget\n"))
    v = read_trials(_write(tmp_path / "v", "1 a b\n0 a c\n"))
    for t in (k, v):
        assert (t.enrol, t.test, t.labels.tolist()) == (["a", "a"], ["b", "c"], [1, 0])
        assert t.has_labels
    u = read_trials(_write(tmp_path / "u", "a b\n"))
    assert not u.has_labels


@pytest.mark.parametrize("text,line", [
    ("a b target\na c maybe\n", 2),
    ("1 a b\n2 a c\n", 2),
    ("1 a b\n\n", 2),
    ("a b c d\n", 1),
])
def test_bad_trials_name_file_and_line(tmp_path, text, line):
    p = _write(tmp_path / "trials", text)
    with pytest.raises(TrialsError, match=f"{p}:{line}:"):
        read_trials(p)


def test_scores_nan_and_garbage_rejected(tmp_path):
    with pytest.raises(TrialsError, match=r"scores:2: score is nan"):
        read_scores(_write(tmp_path / "scores", "a b 0.5\na c nan\n"))
    with pytest.raises(TrialsError, match=r"s2:1: score 'x' is not a number"):
        read_scores(_write(tmp_path / "s2", "a b x\n"))
    with pytest.raises(ValueError, match="a c is nan"):
        write_scores(tmp_path / "s3", ["a", "a"], ["b", "c"], np.array([0.1, np.nan]))


def test_match_by_pair_and_missing(tmp_path):
    trials = read_trials(_write(tmp_path / "t", "1 a b\n0 a c\n0 d c\n"))
    write_scores(tmp_path / "s", ["a", "d", "a", "x"], ["c", "c", "b", "y"],
                 np.array([0.2, 0.3, 0.9, 5.0]))
    e, t, s = read_scores(tmp_path / "s")
    values, kept = match_scores(trials, e, t, s)
    assert values.tolist() == [0.9, 0.2, 0.3] and kept.all()
    with pytest.raises(TrialsError, match=r"1 of 3 trials .* no score .*e\.g\. d c"):
        match_scores(trials, ["a", "a"], ["c", "b"], np.array([0.2, 0.9]))
    values, kept = match_scores(trials, ["a", "a"], ["b", "c"], np.array([1.0, 2.0]),
                                allow_missing=True)
    assert values.tolist() == [1.0, 2.0] and kept.tolist() == [True, True, False]
    with pytest.raises(TrialsError, match="scored twice"):
        match_scores(trials, ["a", "a"], ["b", "b"], np.array([1.0, 2.0]))


def test_embeddings_scp_ark_npz_roundtrip(tmp_path):
    emb = Embeddings(["u1", "u2", "u3"], np.arange(12, dtype=np.float32).reshape(3, 4))
    write_embeddings(tmp_path / "xvector", emb)
    for src in (tmp_path, tmp_path / "xvector.scp", tmp_path / "xvector.ark"):
        got = read_embeddings(src)
        assert got.ids == emb.ids and np.array_equal(got.matrix, emb.matrix)
    np.savez(tmp_path / "e.npz", ids=np.array(emb.ids), embeddings=emb.matrix)
    assert read_embeddings(tmp_path / "e.npz").ids == emb.ids
    with kaldiio.WriteHelper(f"ark,scp:{tmp_path}/bad.ark,{tmp_path}/bad.scp") as w:
        w("u1", np.zeros(4, dtype=np.float32))
        w("u2", np.zeros(5, dtype=np.float32))
    with pytest.raises(EmbeddingError, match="'u2' has dimension 5, expected 4"):
        read_embeddings(tmp_path / "bad.scp")


def test_missing_embeddings_reported(tmp_path):
    emb = Embeddings(["a", "b"], np.eye(2, dtype=np.float32))
    trials = read_trials(_write(tmp_path / "t", "1 a b\n0 a zz\n0 yy b\n1 b a\n"))
    with pytest.raises(EmbeddingError, match=r"2 of 4 trials .* 2 ids with no embedding "
                                             r"\(e\.g\. yy, zz\)"):
        trial_rows(trials, emb, emb)
    e, t, kept = trial_rows(trials, emb, emb, allow_missing=True)
    assert e.tolist() == [0, 1] and t.tolist() == [1, 0]
    assert kept.tolist() == [True, False, False, True]


def test_num_utts(tmp_path):
    assert read_num_utts(_write(tmp_path / "n", "spk1 3\nspk2 1\n")) == {"spk1": 3, "spk2": 1}
    with pytest.raises(EmbeddingError, match=r"n2:2:"):
        read_num_utts(_write(tmp_path / "n2", "spk1 3\nspk2 0\n"))
