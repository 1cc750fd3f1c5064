"""Insertion and deletion curves (Petsiuk et al., 2018) of a saliency map, with a random order.

Deletion: replace the top ``k`` per cent of bins (by ``|saliency|``) of the input with the
baseline and measure the target; a map that finds what matters makes the target fall fast
(small area). Insertion: start from the baseline and put the top ``k`` per cent back; a good
map makes the target rise fast (large area). The random order ranks bins at random: the
reference any map must beat. Curves are normalised per utterance,
``(S(x_k) - S(baseline)) / (S(x) - S(baseline))``, so they run from 1 to 0 (deletion) or
0 to 1 (insertion) and areas can be averaged over utterances.

Example:
    >>> area([0.0, 0.5, 1.0], [1.0, 0.0, 0.0])
    0.25
"""

from __future__ import annotations

from typing import Dict, Mapping, Sequence, Tuple

import numpy as np
import torch

ORDERS = ("saliency", "random")


def area(fractions: Sequence[float], values: Sequence[float]) -> float:
    """Trapezoidal area under ``values`` over ``fractions`` (the x axis, 0..1)."""
    f, v = np.asarray(fractions, np.float64), np.asarray(values, np.float64)
    return float(((v[1:] + v[:-1]) * np.diff(f)).sum() / 2)


def ranking(saliency: torch.Tensor, order: str, seed: int = 0) -> torch.Tensor:
    """Flat bin indices, most salient first (``saliency``) or shuffled (``random``)."""
    flat = saliency.detach().abs().flatten()
    if order == "saliency":
        return torch.argsort(flat, descending=True, stable=True)
    if order == "random":
        return torch.randperm(flat.numel(), generator=torch.Generator().manual_seed(int(seed)))
    raise ValueError(f"unknown order '{order}'; valid orders: {', '.join(ORDERS)}")


def perturbation_masks(saliency: torch.Tensor, fractions: Sequence[float],
                       order: str = "saliency", seed: int = 0) -> torch.Tensor:
    """``[K, T, F]`` masks, 1 on the top ``fractions[k]`` share of bins of the order."""
    rank = ranking(saliency, order, seed)
    n = rank.numel()
    masks = torch.zeros(len(fractions), n)
    for i, f in enumerate(fractions):
        masks[i, rank[: int(round(f * n))]] = 1.0
    return masks.view(len(fractions), *saliency.shape)


def perturbation_curves(target, x: torch.Tensor, saliency: torch.Tensor,
                        baseline: torch.Tensor, fractions: Sequence[float],
                        order: str = "saliency", seed: int = 0,
                        batch_size: int = 8) -> Dict[str, np.ndarray]:
    """Normalised deletion and insertion curves of one utterance.

    Args:
        target: ``target(x [B, T, F]) -> [B]``.
        x: model input ``[T, F]``.
        saliency: map ``[T, F]`` (ranked by absolute value).
        baseline: replacement values ``[T, F]`` (zeros: the CMN mean).
        fractions: shares of bins removed/inserted, increasing from 0 to 1.
        order: ``saliency`` or ``random``.
        seed: random order seed.
        batch_size: perturbed inputs per forward pass.

    Returns:
        ``{"fractions", "deletion", "insertion", "full", "empty"}`` (the last two: raw
        target at the input and at the baseline).
    """
    x, baseline = x.detach().float(), baseline.detach().float()
    masks = perturbation_masks(saliency, fractions, order, seed)
    with torch.no_grad():
        full = float(target(x[None])[0])
        empty = float(target(baseline[None])[0])
        raw = {"deletion": [], "insertion": []}
        for start in range(0, len(fractions), batch_size):
            m = masks[start:start + batch_size]
            raw["deletion"].append(target(x * (1 - m) + baseline * m))
            raw["insertion"].append(target(baseline * (1 - m) + x * m))
    span = full - empty if full != empty else 1.0
    out = {k: ((torch.cat(v).numpy() - empty) / span) for k, v in raw.items()}
    out.update(fractions=np.asarray(fractions, np.float64), full=full, empty=empty)
    return out


def deletion_embeddings(model, x: torch.Tensor, saliency: torch.Tensor,
                        fractions: Sequence[float], order: str = "saliency", seed: int = 0,
                        batch_size: int = 8) -> np.ndarray:
    """Embeddings ``[K, D]`` of ``x`` with the top ``fractions[k]`` bins set to zero (the CMN
    mean), for the trial-list EER under deletion."""
    masks = perturbation_masks(saliency, fractions, order, seed)
    with torch.no_grad():
        embs = [model(x.float() * (1 - masks[s:s + batch_size])).float()
                for s in range(0, len(fractions), batch_size)]
    return torch.cat(embs).numpy()


def deletion_eers(trials, enrol: Mapping[str, np.ndarray],
                  deleted: Mapping[str, np.ndarray]) -> Tuple[np.ndarray, int]:
    """EER per deletion step over the trials whose test side has deletion embeddings.

    Args:
        trials: a labelled :class:`TrainAndTest.io.trials.Trials`.
        enrol: enrolment id -> full-input embedding ``[D]``.
        deleted: test id -> deletion embeddings ``[K, D]`` (:func:`deletion_embeddings`).

    Returns:
        (EER per step ``[K]`` as fractions, number of trials used).

    Example:
        >>> from TrainAndTest.io.trials import Trials
        >>> t = Trials(["a", "b"], ["x", "x"], np.array([1, 0], np.int8))
        >>> e = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
        >>> d = {"x": np.array([[1.0, 0.1], [0.1, 1.0]])}  # step 2 turns x into b
        >>> deletion_eers(t, e, d)
        (array([0., 1.]), 2)
    """
    from TrainAndTest.metrics.error_rates import compute_eer

    keep = [i for i, (a, b) in enumerate(zip(trials.enrol, trials.test))
            if b in deleted and a in enrol]
    labels = trials.labels[keep]
    if not keep or labels.min() == labels.max():
        raise ValueError(f"{trials.path}: the analysed utterances are the test side of "
                         f"{len(keep)} trials, not both targets and non-targets")

    def unit(v):
        return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)

    scores = np.stack([unit(deleted[trials.test[i]]) @ unit(enrol[trials.enrol[i]])
                       for i in keep])  # [trials, K]
    return np.array([compute_eer(scores[:, k], labels)[0] for k in range(scores.shape[1])]), \
        len(keep)
