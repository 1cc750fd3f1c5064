"""The trainer's real data sources: egs archives and on-the-fly chunking (Process_Data.egs).

``data: egs`` streams the archives of ``steps/make_egs.sh`` (``data_conf.egs_dir``);
``data: onthefly`` chunks a data dir directly (``data_conf.data_dir``, from ``feats.scp``
or from ``wav.scp`` with the online augmentation chain of ``data_conf.augment``). Both hand
the trainer this rank's share of each global batch, deterministic for (seed, epoch).

The front end: ``egs`` takes the one the egs stage recorded (``<egs_dir>/info/frontend.yaml``);
a ``frontend`` section in the config must then agree with it. ``onthefly`` takes the config's
``frontend`` section (for ``source: feats`` it must describe the data dir's features).
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Optional

from Process_Data.features.frontend import Frontend, FrontendError
from TrainAndTest.data.base import DATA_SOURCES, Batch, TrainData


def _chain(augment: Any):
    """An augmentation chain from a YAML path or an inline mapping (None: no augmentation)."""
    if not augment:
        return None
    from Process_Data.augment.chain import Chain

    return Chain.from_yaml(augment) if isinstance(augment, str) else Chain.from_config(augment)


class _LoaderData(TrainData):
    """Common part: a DataLoader over a batch-yielding IterableDataset with ``set_epoch``."""

    def __init__(self, num_workers: int = 2, **kw: Any):
        super().__init__(**kw)
        self.num_workers = int(num_workers)
        self.per_rank = self.batch_size // self.world_size
        self.train_set = None
        self.valid_set = None

    def _loader(self, dataset):
        from Process_Data.egs import make_loader

        return make_loader(dataset, num_workers=self.num_workers)

    def batches(self, epoch: int) -> Iterator[Batch]:
        self.train_set.set_epoch(epoch)
        return iter(self._loader(self.train_set))

    def valid_batches(self) -> Iterator[Batch]:
        if self.valid_set is None:
            return iter(())
        return iter(self._loader(self.valid_set))

    def steps_per_epoch(self) -> int:
        return max(self.train_set.num_batches(num_workers=self.num_workers), 1)


@DATA_SOURCES.register("egs")
class EgsData(_LoaderData):
    """Shuffled egs archives (train) and the held-out valid egs of ``egs_dir``."""

    def __init__(
        self,
        egs_dir: Optional[str] = None,
        shuffle_buffer: int = 2000,
        augment: Any = None,
        frontend: Optional[Mapping[str, Any]] = None,
        batch_utts_per_speaker: int = 0,
        **kw: Any,
    ):
        super().__init__(**kw)
        if not egs_dir:
            raise ValueError("data: egs needs data_conf.egs_dir")
        from Process_Data.egs import EgsDataset
        from Process_Data.egs.make_egs import read_frontend

        self.frontend = read_frontend(egs_dir)
        if frontend:
            asked = Frontend.from_config(frontend)
            if self.frontend is None:
                self.frontend = asked
            else:
                self.frontend.check_matches(asked, "config section frontend",
                                            f"{egs_dir}/info/frontend.yaml")

        chain = _chain(augment)
        self.batch_utts_per_speaker = int(batch_utts_per_speaker)
        if self.batch_utts_per_speaker:  # metric losses: N speakers x M egs per batch
            from Process_Data.egs.balanced import BalancedEgsDataset

            self.train_set = BalancedEgsDataset(
                egs_dir, self.per_rank, self.seed, self.rank, self.world_size,
                self.batch_utts_per_speaker, feats_chain=chain)
        else:
            self.train_set = EgsDataset(egs_dir, self.per_rank, self.seed, self.rank,
                                        self.world_size, shuffle_buffer=shuffle_buffer,
                                        feats_chain=chain)
        try:
            self.valid_set = EgsDataset(
                egs_dir, self.per_rank, self.seed, self.rank, self.world_size, subset="valid"
            )
        except ValueError:  # an egs dir without a valid set
            self.valid_set = None
        self.num_classes, self.feat_dim = self.train_set.num_classes, self.train_set.feat_dim


@DATA_SOURCES.register("onthefly")
class OnTheFlyData(_LoaderData):
    """Random chunks of a data dir's ``feats.scp`` or ``wav.scp`` with online augmentation."""

    def __init__(
        self,
        data_dir: Optional[str] = None,
        source: str = "feats",
        min_frames: int = 200,
        max_frames: int = 400,
        augment: Any = None,
        num_repeats: int = 1,
        frontend: Optional[Mapping[str, Any]] = None,
        batch_utts_per_speaker: int = 0,
        **kw: Any,
    ):
        super().__init__(**kw)
        if not data_dir:
            raise ValueError("data: onthefly needs data_conf.data_dir")
        from Process_Data.egs import OnTheFlyDataset

        if not frontend:
            raise FrontendError("data: onthefly needs a frontend section in the config (feature, "
                                "feature_config or feature_args, vad, cmn, cmn_window)")
        self.frontend = Frontend.from_config(frontend)
        if source == "feats" and self.frontend.feature:
            self.frontend.check_feature_dir(data_dir)

        self.train_set = OnTheFlyDataset(
            data_dir,
            self.per_rank,
            self.seed,
            self.rank,
            self.world_size,
            source=source,
            min_frames=min_frames,
            max_frames=max_frames,
            num_repeats=num_repeats,
            chain=_chain(augment),
            frontend=self.frontend,
            batch_utts_per_speaker=batch_utts_per_speaker,
        )
        self.batch_utts_per_speaker = int(batch_utts_per_speaker)
        self.num_classes, self.feat_dim = self.train_set.num_classes, self.train_set.feat_dim
