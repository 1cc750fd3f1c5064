"""Training examples: egs archives (``make_egs``), the streaming loader (``dataset``) and the
on-the-fly loader (``onthefly``).

Loader API used by the trainer (both loaders, same output)::

    from Process_Data.egs import EgsDataset, OnTheFlyDataset, make_loader
    ds = EgsDataset(egs_dir, batch_size=128, seed=0, rank=rank, world_size=world_size,
                    shuffle_buffer=2000)
    # or OnTheFlyDataset(data_dir, batch_size=128, source="wav", chain=Chain.from_yaml(...))
    loader = make_loader(ds, num_workers=4)
    for epoch in range(num_epochs):
        ds.set_epoch(epoch)
        for feats, labels in loader:   # [B, T, D] float32, [B] int64
            ...
    ds.num_classes, ds.feat_dim, ds.num_batches(num_workers=4)

Example:
    >>> from Process_Data.egs import EgsOptions
    >>> EgsOptions(min_frames=100, max_frames=50).check()
    Traceback (most recent call last):
    ...
    Process_Data.egs.make_egs.EgsError: --min-frames 100 > --max-frames 50
"""

import importlib

from Process_Data.egs.make_egs import EgsError, EgsOptions, make_egs, plan_egs, write_archive

# The loaders are imported lazily: the egs writers (job array) must not pay for torch.
_WHERE = {"EgsDataset": "dataset", "make_loader": "dataset", "OnTheFlyDataset": "onthefly"}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"Process_Data.egs.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'Process_Data.egs' has no attribute '{name}'")


__all__ = [
    "EgsDataset",
    "EgsError",
    "EgsOptions",
    "OnTheFlyDataset",
    "make_egs",
    "make_loader",
    "plan_egs",
    "write_archive",
]
