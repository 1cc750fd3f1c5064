"""Inference API: a trained model as a function from audio to speaker embeddings.

:meth:`Encoder.load` takes an experiment dir (its ``final.pt``) or a model file and gives
an object that applies the model's own front end (down-mix, resample, Kaldi features, VAD,
CMN, all read from the model file) and the network, in inference mode (no ``eval()`` or
``no_grad()`` needed).

Inputs (``encoder(audio, sample_rate=None, label="embedding")``):

* a path (``str``/``Path``, also a ``wav.scp`` command ending in ``|``) -> ``[1, dim]``;
* a list of paths -> ``[N, dim]``; when some items fail, :class:`BatchError` carries the
  good rows and names each failed item (see also :meth:`Encoder.encode_many`, which never
  raises per item);
* a tensor or array with ``sample_rate`` (any rate): ``[samples]`` (one utterance),
  ``[batch, samples]`` (mono batch; ``lengths`` gives each row's true length when the rows
  are padded) or ``[batch, channels, samples]`` (down-mixed by the mean of the channels).

Batches of unequal lengths are run one item at a time (the front end and the network
see exactly the samples of that item: no padding, no masks), so a batch gives the same
embeddings as single calls.

Conventions:

* Dither is the front end's own (``--dither``, Kaldi's default 1.0 unless the recipe's
  feature config says otherwise), as the features the model was trained and tested on:
  without it a stretch of digital silence (exact zeros, e.g. zero padding) gives
  log-energies of log(FLT_EPSILON) instead of noise, and its embedding can differ wildly
  from the recipe's (``tests/TrainAndTest/inference/test_encoder_vs_extraction.py``). The
  noise is drawn from a generator seeded with the front end's ``--dither-seed`` for every
  input (the recipe seeds per utterance id, which an input does not have), so the same
  audio always gives the same embedding, alone or at any place in a batch.
  ``dither=0`` turns it off (e.g. to compare with an exported model, which has none:
  :mod:`TrainAndTest.inference.export`); ``dither=x`` sets it.
* Inputs shorter than ``min_duration`` seconds (default :data:`MIN_DURATION`, 0.25 s)
  are refused with an error naming the input; between that and the network's minimum
  frame count the frames are repeated, as the recipe's extraction does.
* An input whose samples are all zero (digital silence) is refused: it has no speaker.
* Long inputs: whole (``chunk_size=-1``, the default, as ``extract_embeddings.sh``) or
  cut into ``chunk_size``-frame chunks whose embeddings are averaged, weighted by length
  (Kaldi's rule, :mod:`TrainAndTest.embeddings`).
* ``device="cuda"`` runs on a GPU; ``dtype=torch.bfloat16`` (or ``float16``) runs the
  network under autocast (on CPU too, for bfloat16); outputs are float32 on the CPU.

Hierarchical outputs (``label``): ``"embedding"`` by default; ``"frame_pool|pool"`` and
the like return the named vectors concatenated in network order, whatever order they are
asked in. :attr:`Encoder.labels` lists the names with their dimensions (per model in
``docs/MODELS.md``): ``frame_pool`` is the mean and standard deviation over time of the
last frame-level layer (``2 * C``), ``pool`` the pooling output, model-specific vector
outputs (ECAPA2's ``stats_*``) in their place, and ``embedding``.

Example:
    >>> import torch
    >>> from Process_Data.features.frontend import Frontend
    >>> from TrainAndTest.models import MODELS
    >>> net = MODELS.build("xvector_tdnn", feat_dim=30, embed_dim=16, channels=32,
    ...                    stats_channels=48)
    >>> enc = Encoder(net, Frontend("fbank", ("--num-mel-bins=30",), cmn="sliding"))
    >>> enc.labels
    {'frame_pool': 96, 'pool': 96, 'embedding': 16}
    >>> wave = torch.randn(2, 8000) * 0.1
    >>> enc(wave, 8000).shape, enc(wave, 8000, label="embedding|frame_pool").shape
    (torch.Size([2, 16]), torch.Size([2, 112]))
    >>> enc(wave, 8000, label="nope")
    Traceback (most recent call last):
    ...
    TrainAndTest.inference.encoder.EncoderError: unknown label 'nope'; valid labels: frame_pool, pool, embedding
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

from Process_Data.features.frontend import Frontend, FrontendError
from TrainAndTest.embeddings import chunk_bounds
from TrainAndTest.inference.audio_input import InputError, read_input_audio

#: shortest input (seconds) embedded; shorter ones are refused.
MIN_DURATION = 0.25
#: frames of the dummy input used to measure the label dimensions.
_PROBE_FRAMES = 200

AudioLike = Union[str, Path, Sequence[Union[str, Path]], torch.Tensor, np.ndarray]


class EncoderError(ValueError):
    """A bad model, label or call (not a bad audio item: that is an ``InputError``)."""


class BatchResult(NamedTuple):
    """Per-item results of :meth:`Encoder.encode_many`.

    Attributes:
        embeddings: one ``[dim]`` float32 tensor per input item, None where it failed.
        errors: ``{item index: message naming the item}`` of the failed items.
    """

    embeddings: List[Optional[torch.Tensor]]
    errors: Dict[int, str]


class BatchError(EncoderError):
    """Some items of a batch failed; ``result`` holds the good embeddings and the errors."""

    def __init__(self, result: BatchResult):
        self.result = result
        lines = "; ".join(result.errors[i] for i in sorted(result.errors))
        super().__init__(f"{len(result.errors)} of {len(result.embeddings)} inputs failed: {lines}")


def inference_frontend(frontend: Frontend, dither: Optional[float] = None) -> Frontend:
    """``frontend`` with ``--dither=<dither>`` (None: ``frontend`` itself, its own dither).

    Example:
        >>> fe = Frontend("fbank", ("--num-mel-bins=30",))
        >>> inference_frontend(fe).options.frame.dither, inference_frontend(fe, 0).options.frame.dither
        (1.0, 0.0)
    """
    if dither is None:
        return frontend
    return dataclasses.replace(
        frontend, feature_args=tuple(frontend.feature_args) + (f"--dither={float(dither)}",)
    )


def label_vectors(outputs: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The vector-valued named outputs ``{label: [B, dim]}`` of ``forward_features``, in
    network order: ``frame_features [B, C, T]`` becomes ``frame_pool`` (mean and std over
    time); other ``[B, dim]`` outputs are kept; other shapes (attention maps) dropped.

    Example:
        >>> out = label_vectors({"frame_features": torch.ones(1, 3, 5),
        ...                      "attention": torch.ones(1, 1, 5), "embedding": torch.ones(1, 2)})
        >>> {k: tuple(v.shape) for k, v in out.items()}
        {'frame_pool': (1, 6), 'embedding': (1, 2)}
    """
    vecs: Dict[str, torch.Tensor] = {}
    for name, value in outputs.items():
        if name == "frame_features":
            v = value.float()
            vecs["frame_pool"] = torch.cat([v.mean(-1), v.std(-1, unbiased=False)], dim=1)
        elif value.dim() == 2:
            vecs[name] = value
    return vecs


class Encoder:
    """A trained embedding network with its front end (see the module docstring).

    Args:
        model: a :class:`TrainAndTest.models.base.SpeakerModel`.
        frontend: the model's front end (made from audio: its ``feature`` must be known).
        device: where the network runs.
        dtype: None (float32), ``torch.bfloat16`` or ``torch.float16`` (autocast).
        chunk_size: frames per chunk for long inputs (-1: whole utterance).
        min_chunk_size: a last chunk shorter than this joins the previous one.
        min_duration: inputs shorter than this (seconds) are refused.
        source: where the model came from (for messages).
        dither: ``--dither`` of the features (None: the front end's own; 0: off); the
            noise is seeded with ``--dither-seed`` for every input (module docstring).
    """

    def __init__(
        self,
        model: nn.Module,
        frontend: Frontend,
        device: Union[str, torch.device] = "cpu",
        dtype: Optional[torch.dtype] = None,
        chunk_size: int = -1,
        min_chunk_size: int = 25,
        min_duration: float = MIN_DURATION,
        source: str = "",
        dither: Optional[float] = None,
    ):
        if frontend is None or not frontend.feature:
            raise EncoderError(
                f"{source or 'model'}: no front end recorded with the model (an "
                "older final.pt, or one trained on synthetic data): it cannot "
                "embed audio"
            )
        if dtype not in (None, torch.float32, torch.bfloat16, torch.float16):
            raise EncoderError(f"dtype must be float32, bfloat16 or float16, got {dtype}")
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.frontend = inference_frontend(frontend, dither)
        self.dtype = None if dtype == torch.float32 else dtype
        self.chunk_size = int(chunk_size)
        self.min_chunk_size = int(min_chunk_size)
        self.min_duration = float(min_duration)
        self.source = source
        self.min_frames = int(getattr(model, "min_frames", 1))
        with torch.inference_mode():
            probe = torch.zeros(
                1, max(_PROBE_FRAMES, self.min_frames), self.frontend.dim, device=self.device
            )
            self._labels = {
                k: int(v.shape[1])
                for k, v in label_vectors(self.model.forward_features(probe)).items()
            }

    @classmethod
    def load(
        cls,
        path: Union[str, Path],
        device: Union[str, torch.device] = "cpu",
        dtype: Optional[torch.dtype] = None,
        **kwargs,
    ) -> Encoder:
        """The encoder of an exp dir (its ``final.pt``) or a model file; ``kwargs`` as the
        constructor (``chunk_size``, ``min_duration``, ``dither``...)."""
        from TrainAndTest.checkpoint import load_model

        try:
            trained = load_model(path, "cpu")
        except FileNotFoundError as e:
            raise EncoderError(str(e)) from None
        except Exception as e:  # a corrupt or foreign file: name it
            raise EncoderError(f"{path}: not a model file of this recipe ({e})") from None
        return cls(
            trained.model, trained.frontend, device=device, dtype=dtype, source=str(path), **kwargs
        )

    # -- description ---------------------------------------------------------------------
    @property
    def labels(self) -> Dict[str, int]:
        """``{label: dimension}`` of the outputs that ``label=`` can name, in network order."""
        return dict(self._labels)

    @property
    def embed_dim(self) -> int:
        """Dimension of the default output (``embedding``)."""
        return self._labels["embedding"]

    @property
    def sample_rate(self) -> int:
        """Rate the front end works at (inputs at other rates are resampled)."""
        return int(self.frontend.sample_rate)

    def parse_label(self, label: str) -> List[str]:
        """The names in ``label`` (``"a|b"``) in network order; EncoderError on unknown."""
        asked = [p.strip() for p in str(label).split("|") if p.strip()]
        if not asked:
            raise EncoderError(f"empty label; valid labels: {', '.join(self._labels)}")
        for name in asked:
            if name not in self._labels:
                raise EncoderError(
                    f"unknown label '{name}'; valid labels: {', '.join(self._labels)}"
                )
        return [name for name in self._labels if name in asked]

    # -- the pieces --------------------------------------------------------------------
    def features(self, wave: np.ndarray, rate: int, name: str = "input") -> np.ndarray:
        """Model input ``[frames, feat_dim]`` of one waveform (``[samples]`` or
        ``[samples, channels]``) at ``rate`` Hz; InputError naming ``name`` when refused."""
        wave = np.asarray(wave, dtype=np.float32)
        if wave.ndim not in (1, 2):
            raise InputError(
                f"{name}: expected [samples] or [samples, channels] audio, got "
                f"shape {tuple(wave.shape)}"
            )
        if rate is None or int(rate) <= 0:
            raise InputError(f"{name}: a positive sample rate is needed, got {rate}")
        seconds = wave.shape[0] / float(rate)
        if seconds < self.min_duration or wave.shape[0] == 0:
            raise InputError(
                f"{name}: too short ({seconds:.3f} s); the minimum is {self.min_duration} s"
            )
        if not np.isfinite(wave).all():
            raise InputError(f"{name}: samples are not all finite (NaN or inf)")
        if not np.any(wave):
            raise InputError(f"{name}: all samples are zero (digital silence): no speaker to embed")
        try:  # seed None: --dither-seed, the same noise for the same audio
            return self.frontend.from_audio(wave, int(rate), seed=None)
        except (FrontendError, ValueError) as e:
            raise InputError(f"{name}: {e}") from None

    def _autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def embed_features(self, feats: np.ndarray, label: str = "embedding") -> torch.Tensor:
        """The ``label`` vector ``[dim]`` of a model-input matrix ``[frames, feat_dim]``
        (whole or chunked and averaged by length, as :func:`TrainAndTest.embeddings.embed_utterance`)."""
        names = self.parse_label(label)
        x = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32)).to(self.device)
        if x.shape[0] < self.min_frames:  # repeat the frames, as the recipe's extraction
            reps = -(-self.min_frames // max(x.shape[0], 1))
            x = x.repeat(reps, 1)[: max(self.min_frames, x.shape[0])]
        total, weight = None, 0
        with torch.inference_mode(), self._autocast():
            for start, end in chunk_bounds(x.shape[0], self.chunk_size, self.min_chunk_size):
                vecs = label_vectors(self.model.forward_features(x[start:end][None]))
                v = torch.cat([vecs[n].float() for n in names], dim=1)[0] * (end - start)
                total = v if total is None else total + v
                weight += end - start
        return (total / weight).cpu()

    def embed_wave(
        self, wave: np.ndarray, rate: int, label: str = "embedding", name: str = "input"
    ) -> torch.Tensor:
        """The ``label`` vector ``[dim]`` of one waveform (see :meth:`features`)."""
        return self.embed_features(self.features(wave, rate, name), label)

    def embed_file(self, path: Union[str, Path], label: str = "embedding") -> torch.Tensor:
        """The ``label`` vector ``[dim]`` of an audio file; InputError naming it."""
        wave, rate = read_input_audio(path)
        return self.embed_wave(wave, rate, label, name=str(path))

    # -- batches -----------------------------------------------------------------------
    def _items(
        self, audio: AudioLike, sample_rate: Optional[int], lengths: Optional[Sequence[int]]
    ):
        """(name, callable giving the vector) per item of ``audio``."""
        if isinstance(audio, (str, Path)):
            return [(str(audio), lambda lab, p=audio: self.embed_file(p, lab))]
        if isinstance(audio, (list, tuple)):
            for a in audio:
                if not isinstance(a, (str, Path)):
                    raise EncoderError(
                        "a list input must hold paths; pass waveforms as one "
                        "[batch, samples] tensor with sample_rate"
                    )
            return [(str(a), lambda lab, p=a: self.embed_file(p, lab)) for a in audio]
        if isinstance(audio, (torch.Tensor, np.ndarray)):
            if sample_rate is None:
                raise EncoderError("a waveform input needs sample_rate=")
            x = (
                audio.detach().cpu().float().numpy()
                if isinstance(audio, torch.Tensor)
                else np.asarray(audio, dtype=np.float32)
            )
            if x.ndim == 1:
                x = x[None]
            elif x.ndim == 3:
                x = x.mean(axis=1)
            elif x.ndim != 2:
                raise EncoderError(
                    f"expected [samples], [batch, samples] or [batch, channels, "
                    f"samples], got shape {tuple(x.shape)}"
                )
            if lengths is not None:
                lengths = [int(n) for n in lengths]
                if len(lengths) != x.shape[0] or max(lengths, default=0) > x.shape[1]:
                    raise EncoderError(
                        f"lengths {lengths} do not fit a batch of shape {tuple(x.shape)}"
                    )
            else:
                lengths = [x.shape[1]] * x.shape[0]
            return [
                (
                    f"batch item {i}",
                    lambda lab, i=i: self.embed_wave(
                        x[i, : lengths[i]], sample_rate, lab, name=f"batch item {i}"
                    ),
                )
                for i in range(x.shape[0])
            ]
        raise EncoderError(
            f"cannot embed a {type(audio).__name__}: pass a path, a list of "
            "paths, or a waveform tensor with sample_rate"
        )

    def encode_many(
        self,
        audio: AudioLike,
        sample_rate: Optional[int] = None,
        label: str = "embedding",
        lengths: Optional[Sequence[int]] = None,
    ) -> BatchResult:
        """Embed every item, collecting per-item failures instead of raising.

        Example:
            >>> from TrainAndTest.models import MODELS
            >>> enc = Encoder(MODELS.build("xvector_tdnn", feat_dim=23, embed_dim=8,
            ...               channels=16, stats_channels=16), Frontend("fbank", ()))
            >>> res = enc.encode_many(["missing.wav"])
            >>> res.embeddings, res.errors
            ([None], {0: 'missing.wav: no such file'})
        """
        self.parse_label(label)
        embeddings: List[Optional[torch.Tensor]] = []
        errors: Dict[int, str] = {}
        for i, (_, run) in enumerate(self._items(audio, sample_rate, lengths)):
            try:
                embeddings.append(run(label))
            except InputError as e:
                embeddings.append(None)
                errors[i] = str(e)
        return BatchResult(embeddings, errors)

    def __call__(
        self,
        audio: AudioLike,
        sample_rate: Optional[int] = None,
        label: str = "embedding",
        lengths: Optional[Sequence[int]] = None,
    ) -> torch.Tensor:
        """Embeddings ``[N, dim]`` of ``audio`` (see the module docstring).

        Raises:
            InputError: a single input that cannot be embedded (message names it).
            BatchError: some items of a batch failed (``.result`` has the good ones).
            EncoderError: an unknown label or a malformed call.
        """
        single = isinstance(audio, (str, Path))
        result = self.encode_many(audio, sample_rate, label, lengths)
        if result.errors:
            if single:
                raise InputError(result.errors[0])
            raise BatchError(result)
        if not result.embeddings:
            return torch.zeros(0, sum(self._labels[n] for n in self.parse_label(label)))
        return torch.stack(result.embeddings)


def cosine_score(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine similarity of two vectors.

    Example:
        >>> round(cosine_score(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])), 6)
        0.707107
    """
    a, b = a.double().flatten(), b.double().flatten()
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))
