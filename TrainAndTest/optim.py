"""Optimizers and learning-rate schedules, by name.

Schedules are pure functions of training progress in epochs (a float: 1.5 is the middle of
the second epoch), applied every batch through ``torch.optim.lr_scheduler.LambdaLR``. Being
stateless beyond the step counter, they resume exactly from a checkpoint.

Example:
    >>> import torch
    >>> p = [torch.nn.Parameter(torch.zeros(1))]
    >>> opt = build_optimizer("sgd", p, {"lr": 0.1, "momentum": 0.9})
    >>> sched = build_scheduler("step", opt, {"step_size": 1, "gamma": 0.5}, 2, 10)
    >>> [round(sched.get_last_lr()[0], 4) for _ in range(3) if sched.step() is None]
    [0.1, 0.1, 0.05]
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, Mapping

import torch

from Process_Data.registry import Registry

OPTIMIZERS = Registry("optimizer")
OPTIMIZERS.register("sgd")(torch.optim.SGD)
OPTIMIZERS.register("adam")(torch.optim.Adam)
OPTIMIZERS.register("adamw")(torch.optim.AdamW)


def build_optimizer(name: str, params: Iterable, conf: Mapping[str, Any]) -> torch.optim.Optimizer:
    """Build a registered optimizer; bad arguments name the option."""
    cls = OPTIMIZERS.get(name)
    try:
        return cls(params, **conf)
    except TypeError as e:
        raise ValueError(f"optimizer '{name}': bad optimizer_conf {dict(conf)}: {e}") from None


class LrSchedule:
    """Base class: ``factor(progress, total_epochs)`` multiplies the base learning rate.

    Args:
        warmup_epochs: linear warm-up length (epochs, fractional allowed), from
            ``warmup_start_factor`` to 1; every schedule starts after it.
        warmup_start_factor: factor at progress 0.
    """

    def __init__(self, warmup_epochs: float = 0.0, warmup_start_factor: float = 0.1, **_: Any):
        self.warmup_epochs = float(warmup_epochs)
        self.warmup_start_factor = float(warmup_start_factor)

    def factor(self, progress: float, total: float) -> float:
        """Multiplier of the base lr at ``progress`` epochs out of ``total``."""
        if self.warmup_epochs > 0 and progress < self.warmup_epochs:
            a = progress / self.warmup_epochs
            return self.warmup_start_factor + (1 - self.warmup_start_factor) * a
        return self.after_warmup(
            progress - self.warmup_epochs, max(total - self.warmup_epochs, 1e-9)
        )

    def after_warmup(self, t: float, span: float) -> float:
        """Multiplier ``t`` epochs after warm-up of ``span`` remaining epochs."""
        raise NotImplementedError


SCHEDULERS = Registry("scheduler", LrSchedule)


@SCHEDULERS.register("constant")
class Constant(LrSchedule):
    """Constant learning rate after warm-up."""

    def after_warmup(self, t: float, span: float) -> float:
        return 1.0


@SCHEDULERS.register("warmup_exponential")
class WarmupExponential(LrSchedule):
    """Exponential decay reaching ``final_lr / lr`` at the last epoch (no decay if None)."""

    def __init__(self, final_lr: float = None, base_lr: float = 1.0, **kw: Any):
        super().__init__(**kw)
        self.final_factor = None if final_lr is None else float(final_lr) / float(base_lr)

    def after_warmup(self, t: float, span: float) -> float:
        if self.final_factor is None:
            return 1.0
        return self.final_factor ** (min(t, span) / span)


@SCHEDULERS.register("step")
class Step(LrSchedule):
    """Multiply by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, step_size: float = 1, gamma: float = 0.5, **kw: Any):
        super().__init__(**kw)
        self.step_size, self.gamma = float(step_size), float(gamma)

    def after_warmup(self, t: float, span: float) -> float:
        return self.gamma ** math.floor(t / self.step_size + 1e-9)


@SCHEDULERS.register("cosine")
class Cosine(LrSchedule):
    """Cosine annealing to ``min_lr`` at the last epoch."""

    def __init__(self, min_lr: float = 0.0, base_lr: float = 1.0, **kw: Any):
        super().__init__(**kw)
        self.min_factor = float(min_lr) / float(base_lr)

    def after_warmup(self, t: float, span: float) -> float:
        c = 0.5 * (1 + math.cos(math.pi * min(t, span) / span))
        return self.min_factor + (1 - self.min_factor) * c


@SCHEDULERS.register("cyclic")
class Cyclic(LrSchedule):
    """Triangular cycles of ``cycle_epochs`` between lr and ``max_lr_factor * lr``."""

    def __init__(self, cycle_epochs: float = 2.0, max_lr_factor: float = 10.0, **kw: Any):
        super().__init__(**kw)
        self.cycle, self.peak = float(cycle_epochs), float(max_lr_factor)

    def after_warmup(self, t: float, span: float) -> float:
        phase = (t % self.cycle) / self.cycle
        tri = 1 - abs(2 * phase - 1)
        return 1 + (self.peak - 1) * tri


@SCHEDULERS.register("one_cycle")
class OneCycle(LrSchedule):
    """One triangle up to ``max_lr_factor * lr`` at 30% of training, then cosine to ~0."""

    def __init__(self, max_lr_factor: float = 10.0, **kw: Any):
        super().__init__(**kw)
        self.peak = float(max_lr_factor)

    def after_warmup(self, t: float, span: float) -> float:
        up = 0.3 * span
        if t < up:
            return 1 + (self.peak - 1) * t / up
        a = min((t - up) / (span - up), 1.0)
        return 1e-3 + (self.peak - 1e-3) * 0.5 * (1 + math.cos(math.pi * a))


def build_scheduler(
    name: str,
    optimizer: torch.optim.Optimizer,
    conf: Mapping[str, Any],
    total_epochs: float,
    steps_per_epoch: int,
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-batch LambdaLR following the named schedule.

    Args:
        name: registered schedule name.
        optimizer: its first param group's lr is the base lr.
        conf: schedule arguments (``scheduler_conf``).
        total_epochs: training length.
        steps_per_epoch: batches per epoch (converts steps to fractional epochs).
    """
    conf: Dict[str, Any] = dict(conf)
    conf.setdefault("base_lr", optimizer.param_groups[0]["lr"])
    schedule = SCHEDULERS.build(name, **conf)
    steps = max(int(steps_per_epoch), 1)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: schedule.factor(step / steps, float(total_epochs))
    )
