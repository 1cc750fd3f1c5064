"""Margin scheduler values at given steps and its effect on the loss."""

from __future__ import annotations

import math

import pytest
import torch

from TrainAndTest.losses import LOSSES, MarginScheduler


def aam(margin=0.2):
    return LOSSES.build("aam_softmax", embed_dim=4, num_classes=3, margin=margin)


def test_linear_warm_up_values():
    head = aam(0.2)
    sched = MarginScheduler(head, start=2, end=6)
    assert sched.final_margin == 0.2
    got = [sched.step(t) for t in [0, 2, 3, 4, 5.5, 6, 100]]
    assert got == pytest.approx([0.0, 0.0, 0.05, 0.1, 0.175, 0.2, 0.2])
    assert head.margin == pytest.approx(0.2)
    sched.step(3)
    assert head.margin == pytest.approx(0.05)


def test_steps_unit_and_explicit_final():
    head = aam(0.2)
    sched = MarginScheduler(head, final_margin=0.3, start=1000, end=5000, initial_margin=0.1)
    assert sched.value(0) == pytest.approx(0.1)
    assert sched.value(2000) == pytest.approx(0.15)
    assert sched.value(5000) == pytest.approx(0.3)


def test_exp_shape():
    sched = MarginScheduler(aam(0.2), start=0, end=10, shape="exp")
    assert sched.value(5) == pytest.approx(0.2 * (1 - math.exp(-2.5)) / (1 - math.exp(-5)))
    assert sched.value(10) == pytest.approx(0.2)
    values = [sched.value(t) for t in range(11)]
    assert all(b > a for a, b in zip(values, values[1:]))
    assert values[5] > 0.1  # front-loaded


def test_a_softmax_schedule_from_one():
    head = LOSSES.build("a_softmax", embed_dim=4, num_classes=3, margin=4)
    sched = MarginScheduler(head, start=0, end=3, initial_margin=1.0)
    assert [sched.step(t) for t in range(4)] == pytest.approx([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="margin must be >= 1"):
        MarginScheduler(head, start=0, end=3).step(0)


def test_scheduled_margin_changes_the_loss():
    torch.manual_seed(0)
    head = aam(0.3)
    x, y = torch.randn(4, 4), torch.tensor([0, 1, 2, 0])
    sched = MarginScheduler(head, start=0, end=2)
    sched.step(0)
    at_zero = head(x, y).loss.item()
    sched.step(2)
    assert head(x, y).loss.item() > at_zero
    unmargined = aam(0.0)
    unmargined.load_state_dict(head.state_dict())
    assert unmargined(x, y).loss.item() == pytest.approx(at_zero)


def test_bad_arguments():
    with pytest.raises(TypeError, match="Softmax has no margin"):
        MarginScheduler(LOSSES.build("softmax", embed_dim=4, num_classes=3))
    with pytest.raises(ValueError, match="end"):
        MarginScheduler(aam(), start=5, end=2)
    with pytest.raises(ValueError, match="valid shapes: linear, exp"):
        MarginScheduler(aam(), shape="cosine")
