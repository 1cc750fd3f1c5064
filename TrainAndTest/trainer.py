"""The one trainer for every model and loss.

Small functions, each doing one thing: :func:`build` (model, loss head, optimizer,
schedule from the resolved config), :func:`train_one_epoch`, :func:`validate`, the
checkpoint functions of :mod:`TrainAndTest.checkpoint`, and :func:`train` which strings
them together and resumes from the newest checkpoint of the experiment dir. The data
source's front end is written into ``config.yaml`` (section ``frontend``), every checkpoint
and ``final.pt``, and the periodic EER scores features through it.

Distributed training: run under ``torchrun``; ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` come
from the environment and the process group uses NCCL on GPUs, gloo on CPUs. The config's
``data_conf.batch_size`` is the GLOBAL batch: with N processes each sees batch/N examples
per step and gradients are averaged, so the optimisation (and the learning rate that suits
it) is the same as one process with the whole batch. Scale the batch, not the lr, when you
add GPUs; if you also grow the global batch, scale ``optimizer_conf.lr`` linearly with it.

Example (synthetic data, a tiny TDNN, on CPU)::

    cfg = resolve_config({"model": "xvector_tdnn", "model_conf": {...}, "data": "synthetic", ...})
    train(cfg, Path("exp/tiny"))
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from TrainAndTest.checkpoint import (  # noqa: F401  (checkpoint_paths, load_final_model: API)
    checkpoint_paths,
    load_checkpoint,
    load_final_model,
    save_checkpoint,
    write_final,
)
from TrainAndTest.components import ModelWithLoss, build_loss, build_model  # noqa: F401
from TrainAndTest.config import save_config
from TrainAndTest.data import TrainData, build_train_data
from TrainAndTest.optim import build_optimizer, build_scheduler

log = logging.getLogger("TrainAndTest.trainer")


class Run:
    """Everything one training process holds (built by :func:`build`)."""

    def __init__(self, **kw: Any):
        self.__dict__.update(kw)


def setup_distributed() -> tuple:
    """(rank, world_size, local_rank, device), initialising the process group if needed.

    torchrun sets ``RANK`` and ``WORLD_SIZE`` over all nodes of a multi-node run (so data
    sharding and the global batch do not depend on how processes are spread over nodes) and
    ``LOCAL_RANK``, this process's GPU on its own node.

    Raises:
        RuntimeError: ``LOCAL_RANK`` names a GPU this node does not have (more processes per
            node than GPUs: ``steps/train.sh --gpus`` is per node).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        if local_rank >= torch.cuda.device_count():
            raise RuntimeError(
                f"LOCAL_RANK={local_rank} but this node ({os.uname().nodename}) has "
                f"{torch.cuda.device_count()} GPU(s): --gpus of steps/train.sh counts per node"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, local_rank, device


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build(cfg: Mapping[str, Any], rank: int = 0, world: int = 1, device=None) -> Run:
    """Data, model, loss head, optimizer, schedule and AMP scaler from a resolved config."""
    device = device or torch.device("cpu")
    tc = cfg["train_conf"]
    seed_everything(int(tc["seed"]))
    data = build_train_data(cfg["data"], cfg["data_conf"], int(tc["seed"]), rank, world,
                            frontend=cfg.get("frontend"))
    model = build_model(cfg, data.feat_dim)
    loss = build_loss(cfg, int(model.embed_dim), data.num_classes)
    grouped = getattr(data, "batch_utts_per_speaker", 0) or getattr(data, "group", 0)
    if getattr(loss, "batch_layout", "labels") != "labels" and not grouped:
        raise ValueError(f"loss '{cfg['loss']}' needs speaker-balanced batches: set "
                         "data_conf.batch_utts_per_speaker (M >= 2 utterances per speaker)")
    net = ModelWithLoss(model, loss).to(device)
    if tc["init_checkpoint"]:
        state = torch.load(tc["init_checkpoint"], map_location="cpu", weights_only=False)
        net.model.load_state_dict(state["model"])
        if "loss" in state:
            with contextlib.suppress(RuntimeError):  # a new head for new speakers is fine
                net.loss.load_state_dict(state["loss"])
    if tc["sync_batchnorm"] and world > 1 and device.type == "cuda":
        net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    if tc["channels_last"] and device.type == "cuda":
        net = net.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(cfg["optimizer"], net.parameters(), cfg["optimizer_conf"])
    scheduler = build_scheduler(
        cfg["scheduler"], optimizer, cfg["scheduler_conf"], tc["epochs"], data.steps_per_epoch()
    )
    precision = tc["precision"]
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"train_conf.precision={precision!r}; valid: fp32, bf16, fp16")
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    ema = copy.deepcopy(net.model).eval() if tc["ema_decay"] > 0 else None
    margin_scheduler = None
    if cfg["margin_scheduler"]:
        from TrainAndTest.losses.margin_scheduler import MarginScheduler

        try:  # progress is measured in (fractional) epochs
            margin_scheduler = MarginScheduler(net.loss, **cfg["margin_scheduler"])
        except TypeError as e:
            raise ValueError(f"bad margin_scheduler {cfg['margin_scheduler']}: {e}") from None
    train_net = net
    if world > 1:
        train_net = nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None
        )
    if tc["compile"]:
        # In place, the embedding network only: state_dict keys stay as they are, and the loss
        # (whose margin the scheduler changes every step) stays eager instead of recompiling.
        net.model.compile()
    return Run(
        cfg=cfg,
        data=data,
        net=net,
        train_net=train_net,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=scaler,
        ema=ema,
        device=device,
        rank=rank,
        world=world,
        precision=precision,
        margin_scheduler=margin_scheduler,
    )


def _autocast(run: Run):
    if run.precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if run.precision == "bf16" else torch.float16
    return torch.autocast(run.device.type, dtype=dtype)


def _update_ema(run: Run) -> None:
    decay = float(run.cfg["train_conf"]["ema_decay"])
    with torch.no_grad():
        for e, p in zip(run.ema.state_dict().values(), run.net.model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
            else:
                e.copy_(p)


def _reduce_mean(values: List[float], run: Run) -> List[float]:
    t = torch.tensor(values, dtype=torch.float64, device=run.device)
    if run.world > 1:
        dist.all_reduce(t)
        t /= run.world
    return t.tolist()


def train_one_epoch(run: Run, epoch: int, show_progress: bool = False) -> Dict[str, float]:
    """One pass over this epoch's batches; returns mean loss and accuracy over all ranks,
    the seconds it took and the steps this rank ran (each one global batch).

    ``show_progress``: a bar on a terminal, a line with rate and ETA every
    ``$SV_PROGRESS_INTERVAL`` s in a job log (:mod:`Process_Data.progress`).
    """
    from Process_Data.progress import progress

    run.train_net.train()
    tc = run.cfg["train_conf"]
    steps = run.data.steps_per_epoch()
    tot_loss = tot_acc = 0.0
    n = 0
    start = time.time()
    batches = progress(run.data.batches(epoch), total=steps, desc=f"epoch {epoch + 1}",
                       unit="batch", disable=None if show_progress else True)
    for step, (feats, labels) in enumerate(batches):
        if run.margin_scheduler is not None:
            run.margin_scheduler.step(epoch + step / steps)
        feats, labels = feats.to(run.device, non_blocking=True), labels.to(run.device)
        with _autocast(run):
            out = run.train_net(feats, labels)
        run.optimizer.zero_grad(set_to_none=True)
        run.scaler.scale(out.loss).backward()
        if tc["grad_clip"] > 0:
            run.scaler.unscale_(run.optimizer)
            nn.utils.clip_grad_norm_(run.net.parameters(), float(tc["grad_clip"]))
        run.scaler.step(run.optimizer)
        run.scaler.update()
        run.scheduler.step()
        if step % 4 == 3 and hasattr(run.net.model, "constrain_semi_orthogonal"):
            run.net.model.constrain_semi_orthogonal()  # F-TDNN, every 4 steps as Kaldi does
        if run.ema is not None:
            _update_ema(run)
        tot_loss += float(out.loss.detach())
        tot_acc += float(out.accuracy) if out.accuracy is not None else 0.0
        n += 1
        if (step + 1) % int(tc["log_interval"]) == 0 or step + 1 == steps:
            msg = (
                f"epoch {epoch + 1} step {step + 1}/{steps} loss {tot_loss / n:.4f} "
                f"acc {tot_acc / n:.4f} lr {run.scheduler.get_last_lr()[0]:.3g} "
                f"{(time.time() - start) / n:.3f}s/step"
            )
            log.info(msg)
    batches.close()
    loss, acc = _reduce_mean([tot_loss / max(n, 1), tot_acc / max(n, 1)], run)
    return {"loss": loss, "accuracy": acc, "seconds": time.time() - start, "steps": n}


@torch.no_grad()
def validate(run: Run) -> Dict[str, float]:
    """Loss and accuracy on the validation batches (held-out utterances of train speakers).

    Those batches are not speaker-balanced (the egs' valid set holds one eg per speaker).
    A classification loss takes them as they are. A metric loss with a classification
    head (``softmax_angular_prototypical``) is validated through that head alone (its
    loss and accuracy); a metric loss without one takes only the batches that come
    speaker-major with at least 2 utterances a speaker, and reports nothing if none does.
    """
    from TrainAndTest.losses.base import LABELS, run_length

    run.net.eval()
    loss_mod = run.net.loss
    grouped = getattr(loss_mod, "batch_layout", LABELS) != LABELS
    head = getattr(loss_mod, "classifier", None) if grouped else None
    tot_loss = tot_acc = 0.0
    n = skipped = 0
    for feats, labels in run.data.valid_batches():
        if grouped and head is None and (run_length(labels) or 0) < 2:
            skipped += 1
            continue
        feats, labels = feats.to(run.device), labels.to(run.device)
        with _autocast(run):
            if head is not None:
                out = head.forward_flat(run.net.model(feats).float(), labels)
            else:
                out = run.net(feats, labels)
        tot_loss += float(out.loss)
        tot_acc += float(out.accuracy) if out.accuracy is not None else 0.0
        n += 1
    if skipped and not n:
        log.info("validation skipped: loss %s needs speaker-major batches of >= 2 utterances "
                 "a speaker, and none of the %d valid batches is one", type(loss_mod).__name__,
                 skipped)
    # Sums and counts over all ranks (a rank may have skipped batches the others used).
    tot_loss, tot_acc, n = _reduce_mean([tot_loss, tot_acc, float(n)], run)
    if n == 0:
        return {}
    return {"loss": tot_loss / n, "accuracy": tot_acc / n}


def environment_info() -> Dict[str, Any]:
    """Git sha, versions, host and devices, for ``exp/<name>/environment.yaml``."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            check=False,
        ).stdout.strip()
    except OSError:
        sha = ""
    return {
        "git_sha": sha or "unknown",
        "python": sys.version.split()[0],
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "host": platform.node(),
        "platform": platform.platform(),
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
        "command": " ".join(sys.argv),
    }


def _setup_logging(exp_dir: Path, rank: int) -> None:
    logdir = Path(exp_dir) / "log"
    logdir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(logdir / f"train.rank{rank}.log")
    handler.setFormatter(logging.Formatter("%(asctime)s [rank %(process)d] %(message)s"))
    log.handlers[:] = [handler]
    if rank == 0:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(console)
    log.setLevel(logging.INFO)
    log.propagate = False


def train(cfg: Mapping[str, Any], exp_dir: Path, data: Optional[TrainData] = None) -> Path:
    """Train (or resume) the experiment in ``exp_dir``; returns the path of ``final.pt``.

    Args:
        cfg: resolved config (see :mod:`TrainAndTest.config`).
        exp_dir: experiment directory; existing epoch checkpoints are resumed from.
        data: override the configured data source (tests).
    """
    import yaml

    exp_dir = Path(exp_dir)
    rank, world, _, device = setup_distributed()
    _setup_logging(exp_dir, rank)
    run = build(cfg, rank, world, device)
    if data is not None:
        run.data = data
    tc = cfg["train_conf"]
    # the front end the features really had (egs: the egs' own) is the one the model keeps
    cfg = {**cfg, "frontend": run.data.frontend.to_dict() if run.data.frontend else None}
    run.cfg = cfg
    if rank == 0:
        save_config(cfg, exp_dir / "config.yaml")
        with open(exp_dir / "environment.yaml", "w") as f:
            yaml.safe_dump(environment_info(), f, sort_keys=False)
    history: List[Dict] = []
    start_epoch = 0
    existing = checkpoint_paths(exp_dir)
    if existing:
        state = load_checkpoint(run, existing[-1])
        start_epoch, history = int(state["epoch"]), list(state["history"])
        log.info(f"resumed from {existing[-1]} (epoch {start_epoch})")
    n_params = sum(p.numel() for p in run.net.model.parameters())
    log.info(
        f"model {cfg['model']}: {n_params / 1e6:.2f}M parameters; loss {cfg['loss']}; "
        f"{run.data.num_classes} classes; world size {world}; device {device}"
    )
    writer = None
    if rank == 0:
        with contextlib.suppress(ImportError):
            from torch.utils.tensorboard import SummaryWriter

            writer = SummaryWriter(str(exp_dir / "tensorboard"))
    show_progress = rank == 0
    for epoch in range(start_epoch, int(tc["epochs"])):
        stats = {"epoch": epoch + 1, "train": train_one_epoch(run, epoch, show_progress)}
        stats["valid"] = validate(run)
        eer_every = int(tc["eer_every"])
        if eer_every and (epoch + 1) % eer_every == 0 and tc["eer_trials"]:
            stats["eer"] = quick_eer(run, tc["eer_data_dir"], tc["eer_trials"])
        history.append(stats)
        log.info(f"epoch {epoch + 1} done: {stats}")
        if writer is not None:
            for part in ("train", "valid"):
                for key, value in stats[part].items():
                    writer.add_scalar(f"{part}/{key}", value, epoch + 1)
            if "eer" in stats:
                writer.add_scalar("valid/eer", stats["eer"], epoch + 1)
            writer.flush()
        if rank == 0:
            save_checkpoint(run, exp_dir, epoch + 1, history)
        if world > 1:
            dist.barrier()
    final = exp_dir / "final.pt"
    if rank == 0:
        final = write_final(run, exp_dir)
        log.info(f"wrote {final}")
    if writer is not None:
        writer.close()
    if world > 1:
        dist.barrier()
    return final


@torch.no_grad()
def quick_eer(run: Run, data_dir: str, trials: str) -> float:
    """EER (%) of cosine scoring on a small trial list, embeddings of whole utterances made
    through the training data's front end (VAD needs ``vad.scp`` in ``data_dir``)."""
    import kaldiio

    from Process_Data.features.frontend import Frontend
    from TrainAndTest.embeddings import embed_utterance
    from TrainAndTest.io.trials import read_trials
    from TrainAndTest.metrics.error_rates import compute_eer

    frontend = run.data.frontend or Frontend("")
    feats = kaldiio.load_scp(str(Path(data_dir) / "feats.scp"))
    vad_scp = Path(data_dir) / "vad.scp"
    vads = kaldiio.load_scp(str(vad_scp)) if frontend.vad and vad_scp.is_file() else None
    pairs = read_trials(trials)
    model = run.ema if run.ema is not None else run.net.model
    model.eval()
    emb = {}
    for utt in set(pairs.enrol) | set(pairs.test):
        mat = frontend.from_feats(feats[utt], None if vads is None else vads[utt], utt)
        vec = embed_utterance(model, mat, device=run.device)
        emb[utt] = vec / max(float(np.linalg.norm(vec)), 1e-12)
    scores = np.array([float(emb[a] @ emb[b]) for a, b in zip(pairs.enrol, pairs.test)])
    eer, _ = compute_eer(scores, pairs.labels)
    return 100.0 * eer
