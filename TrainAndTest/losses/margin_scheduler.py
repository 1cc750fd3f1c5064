"""Margin scheduling: warm a loss's margin up from an initial value to its final value.

Large margins from the first step can stall training; a common remedy is to start with a
small margin (0 for AM/AAM-softmax, 1 for A-softmax) and raise it between two points of
training. The scheduler is stateless: the margin is a function of training progress ``t``
(epochs, fractional epochs or steps, whichever unit ``start``/``end`` use), so a resumed run
just calls :meth:`MarginScheduler.step` with the resumed ``t``.

Example:
    >>> from TrainAndTest.losses import LOSSES
    >>> head = LOSSES.build("aam_softmax", embed_dim=4, num_classes=3, margin=0.2)
    >>> sched = MarginScheduler(head, start=2, end=6)   # final margin: the configured 0.2
    >>> [round(sched.step(epoch), 3) for epoch in range(8)]
    [0.0, 0.0, 0.0, 0.05, 0.1, 0.15, 0.2, 0.2]
    >>> head.margin
    0.2
"""

from __future__ import annotations

import math
from typing import Optional

from TrainAndTest.losses.base import SpeakerLoss

SHAPES = ("linear", "exp")


class MarginScheduler:
    """Raise ``loss.margin`` from ``initial_margin`` to ``final_margin`` over ``[start, end]``.

    Before ``start`` the margin is ``initial_margin``, after ``end`` it is ``final_margin``;
    in between it follows ``shape``:

    * ``"linear"``: ``initial + (final - initial) * p`` with ``p = (t - start) / (end - start)``;
    * ``"exp"``: ``initial + (final - initial) * (1 - exp(-5 p)) / (1 - exp(-5))``, which rises
      fast at first and flattens towards the end (still exactly ``final`` at ``p = 1``).

    Args:
        loss: a loss whose ``margin`` is not ``None`` (AM/AAM/sub-center AAM/A-softmax,
            triplet, contrastive, and the wrappers around a margin head).
        final_margin: target margin; ``None`` takes the loss's margin at construction
            (the value from its config), so the default is written in one place only.
        start, end: progress values where the ramp begins and ends (``end >= start``).
        initial_margin: margin before ``start`` (use 1 for A-softmax, whose margin is
            multiplicative).
        shape: ``"linear"`` or ``"exp"``.
    """

    def __init__(
        self,
        loss: SpeakerLoss,
        final_margin: Optional[float] = None,
        start: float = 0.0,
        end: float = 0.0,
        initial_margin: float = 0.0,
        shape: str = "linear",
    ):
        if getattr(loss, "margin", None) is None:
            raise TypeError(f"MarginScheduler: {type(loss).__name__} has no margin to schedule")
        if end < start:
            raise ValueError(f"MarginScheduler: end ({end}) must be >= start ({start})")
        if shape not in SHAPES:
            raise ValueError(
                f"MarginScheduler: unknown shape {shape!r}; valid shapes: {', '.join(SHAPES)}"
            )
        self.loss = loss
        self.final_margin = float(loss.margin if final_margin is None else final_margin)
        self.initial_margin = float(initial_margin)
        self.start = float(start)
        self.end = float(end)
        self.shape = shape

    def value(self, t: float) -> float:
        """The margin at progress ``t`` (does not change the loss)."""
        if t >= self.end:
            return self.final_margin
        if t <= self.start:
            return self.initial_margin
        p = (t - self.start) / (self.end - self.start)
        if self.shape == "exp":
            p = (1.0 - math.exp(-5.0 * p)) / (1.0 - math.exp(-5.0))
        return self.initial_margin + (self.final_margin - self.initial_margin) * p

    def step(self, t: float) -> float:
        """Set the loss's margin to :meth:`value` ``(t)`` and return it."""
        margin = self.value(t)
        self.loss.set_margin(margin)
        return margin
