"""docs/MODELS.md lists every model's labels with the dimensions Encoder.labels gives."""

from __future__ import annotations

import re

import pytest
import torch

from Process_Data.features.frontend import Frontend
from TrainAndTest.inference import Encoder
from TrainAndTest.models import MODELS


def _doc_labels(repo):
    text = (repo / "docs" / "MODELS.md").read_text().split("## Labels", 1)[1]
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| ([^|]+) \| (`.*) \|$", line)
        if m:
            rows[m.group(1)] = {k: int(v) for k, v in re.findall(r"`(\w+)` \((\d+)\)", m.group(2))}
    return rows


@pytest.mark.parametrize("name", ["xvector_tdnn", "ecapa_tdnn", "resnet34", "ecapa2"])
def test_documented_labels_equal_encoder_labels(repo, name):
    torch.manual_seed(0)
    model = MODELS.build(name)
    fe = Frontend("fbank", (f"--num-mel-bins={model.feat_dim}",), cmn="sliding")
    enc = Encoder(model, fe)
    doc = _doc_labels(repo)[name]
    assert list(doc.items()) == list(enc.labels.items())
