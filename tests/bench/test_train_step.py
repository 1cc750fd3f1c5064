"""bench/train_step.py: its table, and SpeechBrain's ECAPA_TDNN as a like-for-like reference."""

import importlib.util
import re
import sys

import pytest

from tests.conftest import REPO

TINY = "ecapa_tdnn:channels=32;embed_dim=16"
ARGS = ["--batch", "4", "--frames", "40", "--steps", "1", "--warmup", "0", "--threads", "1", "--classes", "5"]


def _load():
    spec = importlib.util.spec_from_file_location("bench_train_step", REPO / "bench" / "train_step.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(out):
    return [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| model")]  # fmt: skip


def test_table_without_the_reference(monkeypatch, capsys):
    bench = _load()
    monkeypatch.setitem(sys.modules, "speechbrain", None)  # SpeechBrain cannot be imported
    assert bench.main(["--models", TINY, "--modes", "fp32,bf16", "--reference", "speechbrain", *ARGS]) == 0
    out = capsys.readouterr().out
    assert "SpeechBrain skipped" in out
    rows = _rows(out)
    assert [r[:2] for r in rows] == [[TINY, "fp32"], [TINY, "bf16"]]
    for _, _, sec, egs, util, peak, _speed, vs_ref in rows:
        assert float(egs) == pytest.approx(4 / float(sec), rel=0.02)  # egs/s = batch / (s/step)
        assert (util, peak, vs_ref) == ("-", "-", "")  # no GPU, no reference
    assert rows[0][6] == "1.00x"
    assert float(rows[1][6].rstrip("x")) == pytest.approx(float(rows[0][2]) / float(rows[1][2]), rel=0.05)


def test_unknown_mode_is_named():
    with pytest.raises(SystemExit):
        _load().main(["--models", TINY, "--modes", "fp16", *ARGS])


def test_ecapa_channels_reads_our_models_only():
    bench = _load()
    from TrainAndTest.models import MODELS

    assert bench.ecapa_channels(MODELS.build("ecapa_tdnn", feat_dim=80, channels=48, embed_dim=16)) == 48
    assert bench.ecapa_channels(MODELS.build("xvector_tdnn", feat_dim=80)) is None


def test_speechbrain_reference_matches_our_layout(capsys):
    if importlib.util.find_spec("speechbrain") is None:
        pytest.skip("speechbrain is not installed (bench only: pip install --no-deps speechbrain hyperpyyaml)")
    bench = _load()
    try:
        ref = bench.speechbrain_ecapa(64, 80, 16)
    except Exception as err:  # e.g. its torchaudio import
        pytest.skip(f"speechbrain ECAPA_TDNN cannot be built here: {err}")
    if ref is None:
        pytest.skip("speechbrain ECAPA_TDNN cannot be imported here (see the printed reason)")
    from TrainAndTest.models import MODELS

    ours = MODELS.build("ecapa_tdnn", feat_dim=80, channels=64, embed_dim=16)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    # the same layout parameter for parameter, except our batch norm of the embedding
    assert count(ours) == count(ref) + 2 * 16
    assert bench.main(["--models", "ecapa_tdnn:channels=64;embed_dim=16", "--modes", "fp32",
                       "--reference", "speechbrain", *ARGS]) == 0  # fmt: skip
    ours_row, ref_row = _rows(capsys.readouterr().out)
    assert ref_row[0] == "speechbrain ECAPA_TDNN C=64"
    assert float(ours_row[7]) == pytest.approx(float(ours_row[2]) / float(ref_row[2]), rel=0.05)
    assert re.fullmatch(r"\d+\.\d", ref_row[3])
