"""Training data for the trainer: egs archives, on-the-fly chunking and a synthetic source.

Every source is a :class:`TrainData` (``base``): it knows ``num_classes``, ``feat_dim`` and
the ``frontend`` that made its features, and for an epoch yields this rank's share of each
global batch as ``(feats [B, T, D], labels [B])``. The order depends only on (seed, epoch),
so a resumed run sees exactly the batches an uninterrupted one would.

* ``egs`` (``loaders.EgsData``): the archives of ``steps/make_egs.sh``;
* ``onthefly`` (``loaders.OnTheFlyData``): random chunks of a data dir's feats or wav;
* ``synthetic`` (``synthetic.SyntheticData``): Gaussian "speakers" for tests and dry runs.

``data_conf`` keys are checked against the chosen source: a key it does not take is an
error listing the valid ones.

Example:
    >>> data = build_train_data("synthetic", {"num_speakers": 4, "utts_per_speaker": 4,
    ...     "feat_dim": 5, "batch_size": 8, "min_frames": 10, "max_frames": 12}, seed=0)
    >>> feats, labels = next(iter(data.batches(epoch=0)))
    >>> feats.shape[0], feats.shape[2], data.num_classes
    (8, 5, 4)
    >>> build_train_data("synthetic", {"egs_dir": "exp/egs"})
    Traceback (most recent call last):
    ...
    ValueError: unknown data_conf key 'egs_dir' for data source 'synthetic'; valid keys: batch_size, batch_utts_per_speaker, feat_dim, max_frames, min_frames, num_speakers, num_valid, utts_per_speaker
"""

from __future__ import annotations

import inspect
from typing import Any, List, Mapping, Optional

from TrainAndTest.data import loaders, synthetic  # noqa: F401  (registration)
from TrainAndTest.data.base import DATA_SOURCES, Batch, TrainData

#: arguments the trainer passes itself (not data_conf keys)
_INTERNAL = ("seed", "rank", "world_size", "frontend", "self", "kw", "_")


def data_conf_keys(name: str) -> List[str]:
    """The ``data_conf`` keys data source ``name`` takes (its and its bases' arguments)."""
    keys = set()
    for cls in DATA_SOURCES.get(name).__mro__:
        if cls is object or "__init__" not in vars(cls):
            continue
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in _INTERNAL:
                keys.add(p.name)
    return sorted(keys)


def check_data_conf(name: str, conf: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first ``conf`` key data source ``name`` does not take."""
    valid = data_conf_keys(name)
    for key in conf:
        if key not in valid:
            raise ValueError(f"unknown data_conf key '{key}' for data source '{name}'; "
                             f"valid keys: {', '.join(valid)}")


def build_train_data(
    name: str, conf: Mapping[str, Any], seed: int = 0, rank: int = 0, world_size: int = 1,
    frontend: Optional[Mapping[str, Any]] = None,
) -> TrainData:
    """Build the data source ``name`` (``data`` in the config) from ``data_conf``.

    ``frontend`` (the config's section) goes to the sources that take one (egs: checked
    against the egs' own; onthefly: required).
    """
    check_data_conf(name, conf)
    cls = DATA_SOURCES.get(name)
    extra = {}
    if "frontend" in inspect.signature(cls.__init__).parameters:
        extra["frontend"] = frontend
    return cls(seed=seed, rank=rank, world_size=world_size, **extra, **conf)


__all__ = ["DATA_SOURCES", "Batch", "TrainData", "build_train_data", "check_data_conf",
           "data_conf_keys"]
