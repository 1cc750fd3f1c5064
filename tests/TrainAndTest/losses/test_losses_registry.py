"""Every registered loss: builds, runs forward+backward on tiny tensors, documents itself."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
import torch

import TrainAndTest.losses as losses_pkg
from TrainAndTest.losses import (
    BATCH_LAYOUTS,
    LABELS,
    LOSSES,
    SPK_UTT,
    SPK_UTT_LABELS,
    LossOutput,
    SpeakerLoss,
)

EXPECTED = {
    "softmax", "a_softmax", "am_softmax", "aam_softmax", "sub_center_aam", "center_loss",
    "ring_loss", "ge2e", "triplet", "contrastive", "prototypical", "angular_prototypical",
    "softmax_angular_prototypical",
}
D, C, N, M = 8, 5, 3, 2


def make_call(loss: SpeakerLoss, gen: torch.Generator):
    """Input tensor (requires grad) and the argument tuple for ``loss.forward``."""
    if loss.batch_layout == LABELS:
        x = torch.randn(N * M, D, generator=gen, requires_grad=True)
        return x, (x, torch.tensor([0, 1, 2, 3, 4, 0]))
    x = torch.randn(N, M, D, generator=gen, requires_grad=True)
    if loss.batch_layout == SPK_UTT:
        return x, (x,)
    return x, (x, torch.tensor([4, 0, 2]))


def test_registry_holds_every_loss():
    assert set(LOSSES.names()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_forward_backward(name):
    gen = torch.Generator().manual_seed(0)
    loss = LOSSES.build(name, embed_dim=D, num_classes=C)
    assert isinstance(loss, SpeakerLoss)
    assert loss.batch_layout in BATCH_LAYOUTS
    assert loss.needs_labels == (loss.batch_layout != SPK_UTT)
    x, args = make_call(loss, gen)
    out = loss(*args)
    assert isinstance(out, LossOutput)
    assert out.loss.shape == () and torch.isfinite(out.loss)
    if out.accuracy is not None:
        assert 0.0 <= float(out.accuracy) <= 1.0 and not out.accuracy.requires_grad
    out.loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    for pname, p in loss.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname


def test_unknown_name_lists_valid_names():
    with pytest.raises(KeyError) as err:
        LOSSES.build("arcfce", embed_dim=D, num_classes=C)
    for name in EXPECTED:
        assert name in str(err.value)


def test_margin_interface():
    plain = LOSSES.build("softmax", embed_dim=D, num_classes=C)
    assert plain.margin is None
    with pytest.raises(TypeError, match="Softmax has no margin"):
        plain.set_margin(0.1)
    for name in ("am_softmax", "aam_softmax", "sub_center_aam", "triplet", "contrastive"):
        loss = LOSSES.build(name, embed_dim=D, num_classes=C)
        loss.set_margin(0.15)
        assert loss.margin == 0.15


def test_bad_shapes_name_the_class():
    head = LOSSES.build("aam_softmax", embed_dim=D, num_classes=C)
    with pytest.raises(ValueError, match=r"AamSoftmax: embeddings must be \[B, 8\]"):
        head(torch.randn(4, 7), torch.zeros(4, dtype=torch.long))
    ge2e = LOSSES.build("ge2e", embed_dim=D, num_classes=0)
    with pytest.raises(ValueError, match="Ge2e: needs at least 2 utterances"):
        ge2e(torch.randn(3, 1, D))
    with pytest.raises(ValueError, match="Ge2e: needs at least 2 speakers"):
        ge2e(torch.randn(1, 3, D))


@pytest.mark.parametrize("name", ["aam_softmax", "ge2e", "softmax_angular_prototypical"])
def test_forward_flat_matches_forward(name):
    torch.manual_seed(1)
    loss = LOSSES.build(name, embed_dim=D, num_classes=C)
    flat = torch.randn(N * M, D)
    labels = torch.tensor([3, 3, 1, 1, 0, 0])
    got = loss.forward_flat(flat, labels, utts_per_speaker=M)
    if loss.batch_layout == LABELS:
        want = loss(flat, labels)
    elif loss.batch_layout == SPK_UTT:
        want = loss(flat.reshape(N, M, D))
    else:
        assert loss.batch_layout == SPK_UTT_LABELS
        want = loss(flat.reshape(N, M, D), torch.tensor([3, 1, 0]))
    torch.testing.assert_close(got.loss, want.loss)


def test_forward_flat_rejects_non_speaker_major_batches():
    loss = LOSSES.build("ge2e", embed_dim=D, num_classes=0)
    with pytest.raises(ValueError, match="speaker-major"):
        loss.forward_flat(torch.randn(6, D), torch.tensor([0, 1, 0, 1, 2, 2]), 2)
    with pytest.raises(ValueError, match="two rows"):
        loss.forward_flat(torch.randn(6, D), torch.tensor([0, 0, 1, 1, 0, 0]), 2)
    with pytest.raises(ValueError, match="not a multiple"):
        loss.forward_flat(torch.randn(5, D), None, 2)
    with pytest.raises(ValueError, match="needs utts_per_speaker"):
        loss.forward_flat(torch.randn(6, D))
    with pytest.raises(ValueError, match="runs of equal length"):
        loss.forward_flat(torch.randn(6, D), torch.tensor([0, 0, 0, 1, 1, 2]))


def test_forward_flat_infers_utts_per_speaker_from_labels():
    torch.manual_seed(0)
    loss = LOSSES.build("prototypical", embed_dim=D, num_classes=0)
    flat = torch.randn(6, D)
    got = loss.forward_flat(flat, torch.tensor([7, 7, 7, 2, 2, 2]))
    torch.testing.assert_close(got.logits, loss(flat.reshape(2, 3, D)).logits)


def test_forward_flat_runs_in_float32_under_autocast():
    torch.manual_seed(0)
    head = LOSSES.build("aam_softmax", embed_dim=D, num_classes=C)
    x, y = torch.randn(4, D), torch.tensor([0, 1, 2, 3])
    want = head(x, y)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        got = head.forward_flat(x.bfloat16(), y)
    assert got.logits.dtype == torch.float32
    torch.testing.assert_close(got.loss, head(x.bfloat16().float(), y).loss)
    assert abs(got.loss.item() - want.loss.item()) < 0.1


def test_wrapper_rejects_metric_classifier():
    with pytest.raises(ValueError, match="needs 'labels'"):
        LOSSES.build("center_loss", embed_dim=D, num_classes=C, classifier="ge2e")


def test_docstring_examples_run():
    modules = [losses_pkg] + [
        importlib.import_module(f"TrainAndTest.losses.{m.name}")
        for m in pkgutil.iter_modules(losses_pkg.__path__)
    ]
    attempted = 0
    for module in modules:
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted > 20
