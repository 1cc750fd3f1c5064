"""The batched torch path gives the single-utterance numbers; short inputs; dither."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from Process_Data.features import FEATURES, parse_options
from Process_Data.features.torch_batch import FeatureExtractor, compute_batch


def _waves():
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000.0
    return [(0.3 * np.sin(2 * np.pi * 440 * t[:n]) + 0.01 * rng.standard_normal(n))
            .astype(np.float32) for n in (16000, 7000, 401, 100)]


@pytest.mark.parametrize("kind", FEATURES.names())
@pytest.mark.parametrize("snip", ["true", "false"])
def test_batch_equals_single(kind, snip):
    comp = FEATURES.build(kind, opts=parse_options(kind, ["--dither=0", f"--snip-edges={snip}"]))
    waves = _waves()
    batch = compute_batch(comp, waves)
    for w, b in zip(waves, batch):
        single = comp.compute(w)
        assert b.shape == single.shape == (comp.num_frames(len(w)), comp.dim)
        np.testing.assert_allclose(b.numpy(), single, rtol=1e-5, atol=1e-4)


def test_cpu_blocks_do_not_change_results():
    comp = FEATURES.build("mfcc", opts=parse_options("mfcc", ["--dither=0"]))
    w = _waves()[0]
    whole = comp.compute(w)
    comp.cpu_block = 7
    np.testing.assert_allclose(comp.compute(w), whole, rtol=1e-5, atol=1e-5)


def test_shorter_than_one_frame_gives_no_rows():
    comp = FEATURES.build("fbank", opts=parse_options("fbank", ["--dither=0"]))
    assert comp.compute(np.zeros(399, np.float32)).shape == (0, 23)
    assert comp.compute(np.zeros(0, np.float32)).shape == (0, 23)


def test_dither_is_seeded_and_matches_in_batches():
    comp = FEATURES.build("fbank", opts=parse_options("fbank", ["--dither=1"]))
    w = np.zeros(8000, np.float32)
    a, b, c = comp.compute(w, seed=1), comp.compute(w, seed=1), comp.compute(w, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.isfinite(a).all() and a.min() > -15  # dither lifts silence above log(eps)
    batch = compute_batch(comp, [w, w], seeds=[1, 2])
    np.testing.assert_allclose(batch[0].numpy(), a, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(batch[1].numpy(), c, rtol=1e-5, atol=1e-4)


def test_feature_extractor_module_pads():
    comp = FEATURES.build("fbank", opts=parse_options("fbank", ["--dither=0"]))
    waves = _waves()[:2]
    padded = torch.zeros(2, 16000)
    padded[0] = torch.from_numpy(waves[0])
    padded[1, :7000] = torch.from_numpy(waves[1])
    feats, n = FeatureExtractor(comp)(padded, torch.tensor([16000, 7000]))
    assert feats.shape == (2, 98, 23) and n.tolist() == [98, 42]
    np.testing.assert_allclose(feats[1, :42].numpy(), comp.compute(waves[1]), atol=1e-4)
    assert (feats[1, 42:] == 0).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU in this run")
def test_gpu_matches_cpu():
    comp = FEATURES.build("fbank", opts=parse_options("fbank", ["--dither=0"]))
    waves = _waves()
    gpu = compute_batch(comp, waves, device="cuda")
    for w, g in zip(waves, gpu):
        np.testing.assert_allclose(g.cpu().numpy(), comp.compute(w), rtol=1e-4, atol=2e-3)
