"""bench/model_table.py: MAC counting on a model with a hand-computed answer."""

from __future__ import annotations

import importlib.util

import pytest

from TrainAndTest.models import MODELS


@pytest.fixture(scope="module")
def model_table(repo):
    spec = importlib.util.spec_from_file_location("model_table", repo / "bench" / "model_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xvector_macs_match_hand_count(model_table):
    feat, ch, stats, emb = 10, 16, 24, 8
    model = MODELS.build("xvector_tdnn", feat_dim=feat, embed_dim=emb, channels=ch,
                         stats_channels=stats)
    frames = 200  # 2 s; each TDNN layer trims dilation * (kernel - 1) frames
    t1, t2, t3 = frames - 4, frames - 8, frames - 14
    expected = (
        t1 * 5 * feat * ch + t2 * 3 * ch * ch + t3 * 3 * ch * ch
        + t3 * ch * ch + t3 * ch * stats + 2 * stats * emb
    )
    assert model_table.count_macs(model, seconds=2.0) == pytest.approx(expected / 2.0)


def test_rows_and_markdown(model_table):
    rows = model_table.table_rows(
        [("tiny", "xvector_tdnn", {"feat_dim": 10, "embed_dim": 8, "channels": 16,
                                   "stats_channels": 24})], seconds=1.0
    )
    assert rows[0]["params"] == sum(p.numel() for p in MODELS.build(
        "xvector_tdnn", feat_dim=10, embed_dim=8, channels=16, stats_channels=24).parameters())
    text = model_table.render_markdown(rows, 1.0)
    assert "| tiny | XVectorTdnn | 10 | 8 |" in text
