"""What an analysis reads: the trained model with its head and labels, and a data dir's inputs.

:func:`load_analysis_model` opens ``final.pt`` (model, front end, loss head, the training
speakers' class indices from the egs dir's ``spk2int``); :func:`iter_inputs` turns a data
dir's features into model inputs with the model's front end, keeping the raw features (for
energy and plots) and the VAD decision (to put maps back onto all frames).

Example:
    >>> expand_to_frames(np.ones((2, 3)), np.array([0.0, 1.0, 1.0, 0.0])).sum(axis=1).tolist()
    [0.0, 3.0, 3.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence

import numpy as np
import torch
from torch import nn

from Process_Data.data_dir import read_kv
from TrainAndTest.analysis.base import AnalysisError


@dataclass
class AnalysisModel:
    """A trained model for analysis.

    Attributes:
        model: the embedding network (eval mode).
        head: the trained loss head, or None when the file has none.
        frontend: the model's front end (None: features are used as stored).
        spk2int: training speaker -> class index (empty when unknown).
        config: the resolved training config.
    """

    model: nn.Module
    head: Optional[nn.Module]
    frontend: object
    spk2int: Dict[str, int]
    config: dict


def find_spk2int(exp_dir: Path, config: dict) -> Optional[Path]:
    """The egs dir's ``spk2int`` of the training config (relative paths: from the current
    dir, then from the recipe root two levels above the exp dir)."""
    egs = (config.get("data_conf") or {}).get("egs_dir")
    if not egs:
        return None
    for root in (Path.cwd(), Path(exp_dir).resolve().parent.parent):
        path = root / egs / "spk2int" if not Path(egs).is_absolute() else Path(egs) / "spk2int"
        if path.is_file():
            return path
    return None


def load_analysis_model(exp_dir, spk2int: Optional[str] = None) -> AnalysisModel:
    """Model, head, front end and labels of ``exp_dir`` (or a model file)."""
    from TrainAndTest.checkpoint import load_model, model_file
    from TrainAndTest.components import build_loss

    trained = load_model(exp_dir)
    state = torch.load(model_file(exp_dir), map_location="cpu", weights_only=False)
    head = None
    if state.get("loss") and state.get("num_classes"):
        head = build_loss(state["config"], trained.model.embed_dim, int(state["num_classes"]))
        head.load_state_dict(state["loss"])
        head.eval()
    path = Path(spk2int) if spk2int else find_spk2int(Path(exp_dir), trained.config)
    labels = {k: int(v) for k, v in read_kv(path).items()} if path else {}
    return AnalysisModel(trained.model, head, trained.frontend, labels, trained.config)


class Utterance(NamedTuple):
    """One utterance: ``raw`` features ``[T, F]``, model input ``x`` ``[T', F]`` (T' < T only
    with VAD), ``vad`` ``[T]`` or None."""

    utt: str
    raw: np.ndarray
    x: np.ndarray
    vad: Optional[np.ndarray]


def select_utts(data_dir, utts: Optional[Sequence[str]] = None, max_utts: int = 0,
                per_speaker: int = 0) -> List[str]:
    """Utterance ids of ``data_dir/feats.scp``: ``utts`` (checked), or the first
    ``per_speaker`` of each speaker, capped at ``max_utts`` (0: no cap)."""
    scp = Path(data_dir) / "feats.scp"
    if not scp.is_file():
        raise AnalysisError(f"{scp} not found: the data dir needs features")
    keys = list(read_kv(scp))
    if utts:
        missing = [u for u in utts if u not in set(keys)]
        if missing:
            raise AnalysisError(f"not in {scp}: {', '.join(missing[:5])}")
        keys = list(utts)
    elif per_speaker > 0:
        utt2spk = read_kv(Path(data_dir) / "utt2spk")
        seen: Dict[str, int] = {}
        chosen = []
        for u in keys:
            spk = utt2spk.get(u, u)
            if seen.get(spk, 0) < per_speaker:
                seen[spk] = seen.get(spk, 0) + 1
                chosen.append(u)
        keys = chosen
    return keys[:max_utts] if max_utts > 0 else keys


def iter_inputs(data_dir, frontend, utts: Sequence[str]) -> Iterator[Utterance]:
    """Model inputs of ``utts`` of ``data_dir`` with the model's front end."""
    import kaldiio

    data_dir = Path(data_dir)
    feats = read_kv(data_dir / "feats.scp")
    vad_scp = read_kv(data_dir / "vad.scp") if frontend is not None and frontend.vad else None
    if vad_scp is None and frontend is not None and frontend.vad:
        raise AnalysisError(f"the model uses VAD but {data_dir}/vad.scp is missing")
    for utt in utts:
        raw = np.asarray(kaldiio.load_mat(feats[utt]), np.float32)
        vad = np.asarray(kaldiio.load_mat(vad_scp[utt])) if vad_scp is not None else None
        x = frontend.from_feats(raw, vad, utt) if frontend is not None else raw
        yield Utterance(utt, raw, np.array(x, np.float32), vad)  # a writable copy


def expand_to_frames(values: np.ndarray, vad: Optional[np.ndarray]) -> np.ndarray:
    """Rows of the voiced frames back onto all frames (zeros where unvoiced)."""
    if vad is None:
        return values
    voiced = np.asarray(vad) > 0.5
    out = np.zeros((len(voiced),) + values.shape[1:], values.dtype)
    out[voiced] = values
    return out
