"""Embedding extraction: whole-utterance or chunked-and-averaged, and speaker means.

Chunking follows Kaldi's nnet3-xvector-compute: with ``chunk_size`` C (frames) an utterance
is cut into consecutive chunks of C frames; a last piece shorter than ``min_chunk_size`` is
merged into the previous chunk; the embedding is the length-weighted mean of the chunk
embeddings. ``chunk_size <= 0`` embeds the whole utterance at once.

Example:
    >>> chunk_bounds(250, 100, 25)
    [(0, 100), (100, 250)]
    >>> chunk_bounds(230, 100, 25)
    [(0, 100), (100, 200), (200, 230)]
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Tuple

import numpy as np
import torch


def chunk_bounds(num_frames: int, chunk_size: int, min_chunk_size: int) -> List[Tuple[int, int]]:
    """(start, end) frame ranges of the chunks of an utterance (see module docstring)."""
    if chunk_size <= 0 or num_frames <= chunk_size:
        return [(0, num_frames)]
    bounds = [(s, min(s + chunk_size, num_frames)) for s in range(0, num_frames, chunk_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < min_chunk_size:
        last = bounds.pop()
        bounds[-1] = (bounds[-1][0], last[1])
    return bounds


@torch.no_grad()
def embed_utterance(
    model: torch.nn.Module,
    feats: np.ndarray,
    chunk_size: int = -1,
    min_chunk_size: int = 25,
    device: str = "cpu",
) -> np.ndarray:
    """Embedding of one utterance ``feats [frames, dim]`` (float32 numpy vector)."""
    min_frames = int(getattr(model, "min_frames", 1))
    x = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32)).to(device)
    if x.shape[0] < min_frames:  # too short for the architecture: repeat the frames
        reps = -(-min_frames // max(x.shape[0], 1))
        x = x.repeat(reps, 1)[: max(min_frames, x.shape[0])]
    total = None
    weight = 0
    for start, end in chunk_bounds(x.shape[0], chunk_size, min_chunk_size):
        emb = model(x[start:end][None]).float()[0]
        total = emb * (end - start) if total is None else total + emb * (end - start)
        weight += end - start
    return (total / weight).cpu().numpy()


def speaker_means(
    embeddings: Mapping[str, np.ndarray], spk2utt: Mapping[str, Iterable[str]]
) -> Tuple[Dict[str, np.ndarray], Dict[str, int]]:
    """Mean embedding and utterance count per speaker (Kaldi ivector-mean semantics).

    Utterances of ``spk2utt`` without an embedding are skipped; speakers with none are
    left out.
    """
    means, counts = {}, {}
    for spk, utts in spk2utt.items():
        vecs = [embeddings[u] for u in utts if u in embeddings]
        if vecs:
            means[spk] = np.mean(np.stack(vecs), axis=0).astype(np.float32)
            counts[spk] = len(vecs)
    return means, counts
