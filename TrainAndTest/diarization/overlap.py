"""Overlapped-speech detection: a small frame classifier trained on simulated mixtures.

A one-speaker-per-frame diarization never covers overlapped speech (22 of diar_mini's 35
test DER points are such missed speech). This module has the three pieces that attack it:

1. a simulator (:class:`OverlapSimulator`): 4-8 s mixtures of one, two or three speakers
   (turn changes with partial overlap, back-channels inside a turn, long overlaps), each
   source built from silence-trimmed utterances with pauses, reverberated with a room
   impulse response (both speakers often in the same room), relative gain +-6 dB, noise
   at 5-20 dB SNR, 16 kHz; its frame labels (10 ms) count the sources that are active,
   each source's activity from an energy threshold on that clean, dry source
   (:func:`source_activity`);
2. a detector (:class:`OverlapDetector`): 80-dim fbank with sliding CMN
   (:data:`DETECTOR_FRONTEND`) -> two 1-d convolutions -> a BiLSTM -> one logit per
   frame, "two or more speakers"; :func:`train_detector` fits it with BCE on
   pre-computed features, :func:`save_detector` / :func:`load_detector` keep the front
   end inside the model file, :func:`overlap_probabilities` runs it on a recording;
3. the frames it marks get a second speaker in :func:`.reseg.frame_turns`
   (``overlap_frames``).

Only the development speakers of minivox (``meta.csv`` ``set == dev``) may feed the
simulator; diar_mini's development part chooses the threshold.

Result (issue 17; :func:`train_from_corpora` with its defaults, 8000 mixtures, 12 epochs,
about 15 CPU minutes on one thread): the detector does not pay, so the recipe does not
use it. Frame AUC against diar_mini's reference overlap (within reference speech): dev
0.708 (0.744 after 2 epochs, 0.733 after 4: it fits the simulation better and real
meetings worse as it trains; simulated validation accuracy rises throughout), test 0.611.
Precision reaches 50% on dev only below 30% recall (after 4 epochs: 58% at 26% recall,
threshold 0.4), and with the final model at no threshold (35% at 24% recall,
threshold 0.5); on test the final model stays under 50% precision at every threshold
up to 0.6 (49% at 17% recall), where one frame in four is overlap. With oracle speech and spectral clustering no threshold
lowered the dev DER (18.45 without, 19.06 at best with the final model; 18.16 with the
4-epoch model at 0.4, which on the test part gives 35.45 against 34.73 without).

Example (labels of two sources, one active 0-1 s, the other 0.5-1.5 s):
    >>> a = np.zeros(24000, np.float32); a[:16000] = 0.1
    >>> b = np.zeros(24000, np.float32); b[8000:] = 0.1
    >>> count = source_activity(a, 16000).astype(int) + source_activity(b, 16000)
    >>> [int(count[i]) for i in (10, 60, 120)]
    [1, 2, 1]
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from Process_Data.audio import read_audio
from Process_Data.augment.reverberate import read_rir_list, reverberate
from Process_Data.features.frontend import Frontend

#: frame step of labels and detector output, seconds (the fbank frame shift).
FRAME = 0.01
#: the detector's own front end (not the speaker model's): 80 fbank, sliding CMN 3 s.
DETECTOR_FRONTEND = Frontend(
    "fbank",
    (
        "--sample-frequency=16000",
        "--frame-length=25",
        "--frame-shift=10",
        "--num-mel-bins=80",
        "--low-freq=20",
        "--high-freq=0",
        "--snip-edges=false",
    ),
    cmn="sliding",
    cmn_window=300,
)
SAMPLE_RATE = 16000
HOP = int(SAMPLE_RATE * FRAME)


def source_activity(
    wave: np.ndarray,
    rate: int = SAMPLE_RATE,
    below_db: float = 30.0,
    max_gap: float = 0.15,
    min_burst: float = 0.05,
    floor_db: float = -60.0,
) -> np.ndarray:
    """Active 10 ms frames of one clean source (frame ``i`` = samples ``i*hop .. (i+1)*hop``).

    A frame is active when its energy is within ``below_db`` of the source's loudest frame
    and above ``floor_db`` dBFS; inactive gaps shorter than ``max_gap`` s between active
    frames are filled (stop closures inside words), then active bursts shorter than
    ``min_burst`` s are dropped. A trailing partial frame counts as a frame.

    Returns:
        bool ``[ceil(len(wave) / hop)]``.
    """
    hop = max(1, int(round(rate * FRAME)))
    n = -(-len(wave) // hop)
    if n == 0:
        return np.zeros(0, bool)
    x = np.zeros(n * hop, np.float64)
    x[: len(wave)] = wave
    energy = 10 * np.log10(np.mean(x.reshape(n, hop) ** 2, axis=1) + 1e-12)
    active = (energy > energy.max() - below_db) & (energy > floor_db)
    active = _fill_runs(active, False, int(round(max_gap / FRAME)), inner_only=True)
    return _fill_runs(active, True, int(round(min_burst / FRAME)))


def _fill_runs(
    mask: np.ndarray, value: bool, shorter_than: int, inner_only: bool = False
) -> np.ndarray:
    """``mask`` with the runs of ``value`` shorter than ``shorter_than`` frames flipped
    (``inner_only``: not the runs touching either end)."""
    out = mask.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask == value, [0]]).astype(np.int8)))
    for lo, hi in zip(edges[::2], edges[1::2]):
        if hi - lo < shorter_than and not (inner_only and (lo == 0 or hi == len(mask))):
            out[lo:hi] = not value
    return out


@dataclass
class SimulationOptions:
    """Options of :class:`OverlapSimulator` (durations in seconds, levels in dB).

    ``speaker_probs``: chance of 1, 2, 3 speakers; ``patterns``: chance of a turn change
    (the second speaker starts before / shortly after the first ends), a back-channel
    (a short turn inside the other's) and a long overlap, for two or more speakers.
    """

    min_duration: float = 4.0
    max_duration: float = 8.0
    speaker_probs: Tuple[float, float, float] = (0.25, 0.65, 0.10)
    patterns: Tuple[float, float, float] = (0.5, 0.3, 0.2)
    max_overlap: float = 2.5
    max_pause: float = 0.5
    gain_db: float = 6.0
    reverb_prob: float = 0.8
    same_room_prob: float = 0.7
    noise_prob: float = 0.9
    min_snr: float = 5.0
    max_snr: float = 20.0


class OverlapSimulator:
    """Random mixtures with frame labels (see the module docstring).

    Args:
        utterances: per speaker, clean utterances (float32, 16 kHz; silence-trimmed).
        rooms: per room, its impulse responses (float32, 16 kHz).
        noises: noise recordings (float32, 16 kHz), at least one second each.
        options: :class:`SimulationOptions` (None: the defaults).
    """

    def __init__(
        self,
        utterances: Dict[str, List[np.ndarray]],
        rooms: Dict[str, List[np.ndarray]],
        noises: Sequence[np.ndarray],
        options: Optional[SimulationOptions] = None,
    ):
        self.speakers = sorted(s for s, u in utterances.items() if u)
        if len(self.speakers) < 3:
            raise ValueError(f"need utterances of at least 3 speakers, got {len(self.speakers)}")
        self.utterances = utterances
        self.rooms = [r for _, r in sorted(rooms.items()) if r]
        self.noises = [n for n in noises if len(n) >= SAMPLE_RATE]
        self.opts = options or SimulationOptions()

    def _source(
        self, rng: np.random.Generator, spk: str, n: int, start: int, stop: int
    ) -> np.ndarray:
        """Utterances of ``spk`` one after another with short pauses in samples
        ``start .. stop`` of an ``n``-sample track (the last one cut with a 10 ms fade)."""
        out = np.zeros(n, np.float32)
        pos = start
        utts = self.utterances[spk]
        while pos < stop - int(0.2 * SAMPLE_RATE):
            u = utts[int(rng.integers(len(utts)))]
            u = u / (np.sqrt(np.mean(u.astype(np.float64) ** 2)) + 1e-9)
            take = min(len(u), stop - pos)
            piece = u[:take].astype(np.float32).copy()
            if take < len(u):
                fade = min(take, HOP)
                piece[take - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
            out[pos : pos + take] = piece
            pos += take + int(rng.uniform(0.05, self.opts.max_pause) * SAMPLE_RATE)
        return out

    def _spans(self, rng: np.random.Generator, n_spk: int, n: int) -> List[Tuple[int, int]]:
        """Sample spans of each speaker's turn."""
        sec = SAMPLE_RATE
        if n_spk == 1:
            a = int(rng.uniform(0, 0.3) * n) if rng.random() < 0.5 else 0
            b = n - (int(rng.uniform(0, 0.3) * n) if rng.random() < 0.5 else 0)
            return [(a, b)]
        pattern = int(rng.choice(3, p=self.opts.patterns))
        if pattern == 0:  # turn change: B starts before A stops (overlap) or a bit after
            change = int(rng.uniform(0.3, 0.7) * n)
            ovl = int(rng.uniform(-0.3, self.opts.max_overlap) * sec)
            if ovl >= 0:
                spans = [(0, min(n, change + ovl // 2)), (max(0, change - ovl // 2), n)]
            else:
                spans = [(0, change), (min(n - sec, change - ovl), n)]
        elif pattern == 1:  # back-channel: a short turn inside the other's
            length = int(rng.uniform(0.3, 1.5) * sec)
            a = int(rng.integers(0, max(1, n - length)))
            spans = [(0, n), (a, a + length)]
        else:  # long overlap
            a = int(rng.uniform(0, 0.3) * n)
            b = n - int(rng.uniform(0, 0.3) * n)
            spans = [(0, n), (a, b)]
        if rng.random() < 0.5:
            spans = spans[::-1]
        for _ in range(n_spk - 2):
            length = int(rng.uniform(0.5, 2.0) * sec)
            a = int(rng.integers(0, max(1, n - length)))
            spans.append((a, a + length))
        return spans

    def mixture(self, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        """One mixture: (float32 samples at 16 kHz, int8 ``[frames]`` count of active
        sources); the length is a whole number of 10 ms frames."""
        o = self.opts
        n = int(rng.uniform(o.min_duration, o.max_duration) / FRAME) * HOP
        n_spk = 1 + int(rng.choice(3, p=o.speaker_probs))
        spks = rng.choice(len(self.speakers), n_spk, replace=False)
        spans = self._spans(rng, n_spk, n)
        room = self.rooms[int(rng.integers(len(self.rooms)))] if self.rooms else None
        count = np.zeros(n // HOP, np.int8)
        mix = np.zeros(n, np.float64)
        for k, (s, (a, b)) in enumerate(zip(spks, spans)):
            src = self._source(rng, self.speakers[int(s)], n, a, b)
            act = source_activity(src)
            count += act
            if act.any():
                rms = np.sqrt(np.mean(src.reshape(-1, HOP)[act].astype(np.float64) ** 2))
                src = src / max(rms, 1e-9)
            gain = 0.0 if k == 0 else rng.uniform(-o.gain_db, o.gain_db)
            src = src * 10 ** (gain / 20)
            if room is not None and rng.random() < o.reverb_prob:
                r = (
                    room
                    if rng.random() < o.same_room_prob
                    else self.rooms[int(rng.integers(len(self.rooms)))]
                )
                src = reverberate(src.astype(np.float32), r[int(rng.integers(len(r)))])
            mix += src
        speech_power = np.mean(mix**2) if count.any() else 1.0
        if self.noises and rng.random() < o.noise_prob:
            noise = self.noises[int(rng.integers(len(self.noises)))]
            off = int(rng.integers(len(noise)))
            part = np.resize(np.roll(noise, -off), n).astype(np.float64)
            snr = rng.uniform(o.min_snr, o.max_snr)
            mix += part * np.sqrt(speech_power / (np.mean(part**2) + 1e-12) / 10 ** (snr / 10))
        mix += rng.normal(0, np.sqrt(speech_power) * 10 ** (-60 / 20), n)
        peak = np.abs(mix).max() + 1e-9
        mix *= rng.uniform(0.05, 0.9) / peak
        return mix.astype(np.float32), count


def load_simulator(
    minivox: os.PathLike,
    musan: os.PathLike,
    rirs: os.PathLike,
    part: str = "dev",
    max_per_speaker: int = 40,
    options: Optional[SimulationOptions] = None,
) -> OverlapSimulator:
    """A simulator over the ``part`` speakers of a VoxCeleb-layout corpus with ``meta.csv``
    (minivox), MUSAN's ``noise`` (and ``music``) recordings and every RIR list under
    ``rirs`` (a RIRS_NOISES layout; one room per ``--room-id``)."""
    from TrainAndTest.diarization.conversations import speaker_utterances, trim_silence

    utts: Dict[str, List[np.ndarray]] = {}
    for spk, files in speaker_utterances(minivox, part).items():
        utts[spk] = [
            trim_silence(read_audio(f, SAMPLE_RATE)[0], SAMPLE_RATE)
            for f in files[:max_per_speaker]
        ]
        utts[spk] = [u for u in utts[spk] if len(u) >= HOP * 10]
    rooms: Dict[str, List[np.ndarray]] = {}
    for lst in sorted(Path(rirs).rglob("rir_list")):
        for _, room, path in read_rir_list(lst):
            rooms.setdefault(room, []).append(read_audio(path, SAMPLE_RATE)[0])
    noises = [
        read_audio(str(p), SAMPLE_RATE)[0]
        for sub in ("noise", "music")
        for p in sorted((Path(musan) / sub).rglob("*.wav"))
    ]
    return OverlapSimulator(utts, rooms, noises, options)


def simulate_features(
    simulator: OverlapSimulator, count: int, seed: int, frontend: Frontend = DETECTOR_FRONTEND
) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """``count`` mixtures drawn with ``np.random.default_rng(seed)``: their features
    (float16 ``[T, dim]``, dither seed = the mixture's index) and frame counts (int8
    ``[T]``); the same arguments give the same data."""
    rng = np.random.default_rng(seed)
    feats, counts = [], []
    for i in range(count):
        wave, c = simulator.mixture(rng)
        f = frontend.from_audio(wave, SAMPLE_RATE, seed=i)
        if len(f) != len(c):
            raise RuntimeError(f"mixture {i}: {len(f)} feature frames but {len(c)} labels")
        feats.append(f.astype(np.float16))
        counts.append(c)
    return feats, counts


class OverlapDetector(nn.Module):
    """Frame classifier ``[B, T, feat_dim]`` features -> ``[B, T]`` overlap logits.

    Two 1-d convolutions (kernel 5 and 3, ``channels``, batch norm, ReLU) and a one-layer
    BiLSTM (``hidden`` per direction), then a linear layer to one logit per frame.

    Example:
        >>> m = OverlapDetector(feat_dim=80)
        >>> m(torch.zeros(2, 50, 80)).shape
        torch.Size([2, 50])
    """

    def __init__(self, feat_dim: int = 80, channels: int = 128, hidden: int = 96):
        super().__init__()
        self.config = {"feat_dim": feat_dim, "channels": channels, "hidden": hidden}
        self.conv = nn.Sequential(
            nn.Conv1d(feat_dim, channels, 5, padding=2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=1),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
        )
        self.rnn = nn.LSTM(channels, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 1)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, T]`` of ``[B, T, feat_dim]`` features."""
        x = self.conv(feats.transpose(1, 2)).transpose(1, 2)
        x, _ = self.rnn(x)
        return self.out(x).squeeze(-1)


def save_detector(model: OverlapDetector, path: os.PathLike, info: Optional[dict] = None) -> None:
    """Write the model with its front end and ``info`` (training provenance) to ``path``."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(path) + ".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "model_conf": model.config,
            "frontend": DETECTOR_FRONTEND.to_dict(),
            "info": info or {},
        },
        tmp,
    )
    os.replace(tmp, path)


def load_detector(path: os.PathLike) -> Tuple[OverlapDetector, Frontend]:
    """(model in eval mode, its front end) from a file of :func:`save_detector`."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = OverlapDetector(**ck["model_conf"])
    model.load_state_dict(ck["model"])
    return model.eval(), Frontend.from_dict(ck["frontend"])


def overlap_probabilities(
    model: OverlapDetector, frontend: Frontend, wave: np.ndarray, rate: int
) -> np.ndarray:
    """Probability of overlapped speech per 10 ms frame of a recording (frame ``i`` is
    ``i * 0.01 .. (i + 1) * 0.01`` s), one pass over the whole recording."""
    feats = frontend.from_audio(wave, rate, seed=0)
    if not len(feats):
        return np.zeros(0, np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(np.ascontiguousarray(feats))[None].float())[0]
    return torch.sigmoid(logits).numpy()


def train_detector(
    feats: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    epochs: int = 10,
    batch_size: int = 32,
    chunk: int = 400,
    lr: float = 2e-3,
    seed: int = 0,
    log: Callable[[str], None] = print,
    model: Optional[OverlapDetector] = None,
    valid: Optional[Tuple[Sequence[np.ndarray], Sequence[np.ndarray]]] = None,
    on_epoch: Optional[Callable[[int, OverlapDetector], None]] = None,
) -> OverlapDetector:
    """Fit an :class:`OverlapDetector` with BCE on random ``chunk``-frame crops.

    Args:
        feats: per mixture ``[T, feat_dim]`` features (float16 or float32).
        targets: per mixture ``[T]`` 0/1 overlap targets.
        epochs: passes; each draws one crop per mixture.
        valid: (feats, targets) scored (BCE, frame accuracy) after each epoch.
        on_epoch: called with (epoch, model) after each epoch (e.g. to save it).
    """
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = model or OverlapDetector(feat_dim=feats[0].shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * -(-len(feats) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(feats))
        total = 0.0
        for i in range(0, len(order), batch_size):
            xs, ys = [], []
            for j in order[i : i + batch_size]:
                f, y = feats[j], targets[j]
                a = int(rng.integers(0, max(1, len(f) - chunk + 1)))
                xs.append(np.asarray(f[a : a + chunk], np.float32))
                ys.append(np.asarray(y[a : a + chunk], np.float32))
            t = min(len(x) for x in xs)
            x = torch.from_numpy(np.stack([x[:t] for x in xs]))
            y = torch.from_numpy(np.stack([y[:t] for y in ys]))
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(xs)
        msg = f"epoch {epoch + 1}/{epochs} train BCE {total / len(feats):.4f}"
        if valid is not None:
            msg += " valid BCE {:.4f} acc {:.4f}".format(*evaluate_bce(model, *valid))
        log(f"{msg} ({time.time() - t0:.0f} s)")
        if on_epoch is not None:
            on_epoch(epoch + 1, model)
    return model.eval()


def train_from_corpora(
    minivox: os.PathLike,
    musan: os.PathLike,
    rirs: os.PathLike,
    out: os.PathLike,
    part: str = "dev",
    num_mixtures: int = 8000,
    valid_mixtures: int = 300,
    seed: int = 1,
    train_seed: int = 0,
    epochs: int = 12,
    log: Callable[[str], None] = print,
) -> OverlapDetector:
    """Simulate, train and save a detector (:func:`load_simulator` over the ``part``
    speakers, :func:`simulate_features` with ``seed`` for training and ``seed + 1000``
    for validation, :func:`train_detector`); the model file's ``info`` records these
    arguments and the validation BCE / accuracy. Every epoch's model is also written
    to ``<out stem>.ep<N>.pt``."""
    start = time.time()
    sim = load_simulator(minivox, musan, rirs, part=part)
    feats, counts = simulate_features(sim, num_mixtures, seed)
    vfeats, vcounts = simulate_features(sim, valid_mixtures, seed + 1000)
    targets = [(c >= 2).astype(np.float32) for c in counts]
    vtargets = [(c >= 2).astype(np.float32) for c in vcounts]
    log(f"{len(feats)} mixtures, {sum(map(len, feats))} frames ({time.time() - start:.0f} s)")
    info = {"part": part, "num_mixtures": num_mixtures, "valid_mixtures": valid_mixtures,
            "seed": seed, "train_seed": train_seed, "epochs": epochs}  # fmt: skip
    stem = Path(out).with_suffix("")

    def keep(epoch: int, model: OverlapDetector) -> None:
        save_detector(model, f"{stem}.ep{epoch}.pt", dict(info, epoch=epoch))

    model = train_detector(feats, targets, epochs=epochs, seed=train_seed,
                           valid=(vfeats, vtargets), log=log, on_epoch=keep)  # fmt: skip
    bce, acc = evaluate_bce(model, vfeats, vtargets)
    info.update(valid_bce=round(bce, 4), valid_acc=round(acc, 4),
                seconds=round(time.time() - start))  # fmt: skip
    save_detector(model, out, info)
    log(f"valid BCE {bce:.4f}, accuracy {acc:.4f} -> {out} ({time.time() - start:.0f} s)")
    return model


def evaluate_bce(
    model: OverlapDetector, feats: Sequence[np.ndarray], targets: Sequence[np.ndarray]
) -> Tuple[float, float]:
    """(mean frame BCE, frame accuracy at 0.5) of whole mixtures."""
    model.eval()
    bce, acc, n = 0.0, 0.0, 0
    with torch.no_grad():
        for f, y in zip(feats, targets):
            logit = model(torch.from_numpy(np.asarray(f, np.float32))[None])[0]
            t = torch.from_numpy(np.asarray(y, np.float32))
            bce += float(nn.functional.binary_cross_entropy_with_logits(logit, t, reduction="sum"))
            acc += float(((logit > 0).float() == t).sum())
            n += len(t)
    return bce / max(n, 1), acc / max(n, 1)


def detection_scores(
    prob: np.ndarray, count: np.ndarray, thresholds: Sequence[float]
) -> Dict[str, object]:
    """Frame AUC and per-threshold (precision, recall) of "two or more speakers" over the
    frames with at least one reference speaker (``count >= 1``).

    Example:
        >>> s = detection_scores(np.array([.1, .9, .8, .2]), np.array([1, 2, 1, 2]), [.5])
        >>> s["auc"], s["pr"][0.5]
        (0.75, (0.5, 0.5))
    """
    n = min(len(prob), len(count))
    keep = count[:n] >= 1
    p, y = prob[:n][keep], count[:n][keep] >= 2
    out: Dict[str, object] = {"frames": int(keep.sum()), "positives": int(y.sum())}
    out["auc"] = _auc(p, y)
    out["pr"] = {}
    for t in thresholds:
        hit = p >= t
        tp = float((hit & y).sum())
        out["pr"][t] = (tp / max(int(hit.sum()), 1), tp / max(int(y.sum()), 1))
    return out


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (ties count one half); NaN with only one class."""
    if label.all() or not label.any():
        return float("nan")
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(label, score))
