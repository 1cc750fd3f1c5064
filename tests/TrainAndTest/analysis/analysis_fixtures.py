"""A model whose output depends only on one frequency band (the known answer of every
attribution method) and a random features data dir."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from tests.TrainAndTest.feats_fixtures import clustered_feats_dir
from TrainAndTest.models.base import SpeakerModel, build_pooling, pool_outputs

BINS, BAND = 24, (6, 12)


class BandMask(nn.Module):
    """Zero every frequency row of a ``[B, C, F', T']`` map outside the band (scaled to F')."""

    def __init__(self, bins: int, band, rows: int):
        super().__init__()
        mask = torch.zeros(rows)
        mask[band[0] * rows // bins: band[1] * rows // bins] = 1.0
        self.register_buffer("mask", mask.view(1, 1, rows, 1))

    def forward(self, x):
        return x * self.mask


class BandModel(SpeakerModel):
    """A 2-D conv net whose output depends only on input bins ``BAND``: the input and every
    layer's output are masked to the band (the second layer halves the frequency rows), then channel-dependent
    attentive statistics pooling and an embedding layer. Biases everywhere, so bias terms
    (Full-Grad) are exercised."""

    def __init__(self, feat_dim: int = BINS, embed_dim: int = 8, band=BAND):
        super().__init__(feat_dim, embed_dim)
        self.input_mask = BandMask(feat_dim, band, feat_dim)
        self.block1 = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1),
                                    BandMask(feat_dim, band, feat_dim), nn.ReLU())
        rows = (feat_dim - 1) // 2 + 1
        self.block2 = nn.Sequential(nn.Conv2d(4, 4, 3, stride=(2, 1), padding=1),
                                    BandMask(feat_dim, band, rows), nn.ReLU())
        self.pooling = build_pooling("asp", 4 * rows, {"attention_dim": 8})
        self.embedding = nn.Linear(self.pooling.out_dim, embed_dim)

    def _forward_features(self, x):
        out = {}
        fmap = self.block2(self.block1(self.input_mask(x.transpose(1, 2).unsqueeze(1))))
        frames = fmap.flatten(1, 2)
        out["frame_features"] = frames
        out["embedding"] = self.embedding(pool_outputs(self.pooling, frames, out))
        return out



def write_feats_dir(path: Path, n_spk: int = 4, n_utt: int = 3, dim: int = 20, seed: int = 0):
    """A data dir of random features: speakers as clusters (mean frame plus noise)."""
    return clustered_feats_dir(path, n_spk, n_utt, dim, seed, frames=(50, 80))
