"""Metric losses on [speakers, utterances, dim] batches against direct loop computations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from TrainAndTest.losses import LOSSES

N, M, D = 4, 3, 5


def batch(seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(N, M, D, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def cos(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.dot(a, b) / (a.norm() * b.norm()))


def ge2e_loop(x: torch.Tensor, w: float, b: float):
    """Similarities, softmax and contrast losses of Wan et al. 2018, one utterance at a time."""
    n, m, _ = x.shape
    sims, soft, contrast = [], [], []
    for j in range(n):
        for i in range(m):
            row = []
            for k in range(n):
                if k == j:
                    others = [x[k, u] for u in range(m) if u != i]
                    centroid = sum(others) / len(others)
                else:
                    centroid = sum(x[k, u] for u in range(m)) / m
                row.append(w * cos(x[j, i], centroid) + b)
            sims.append(row)
            soft.append(-row[j] + math.log(sum(math.exp(s) for s in row)))
            sig = [1 / (1 + math.exp(-s)) for s in row]
            contrast.append(1 - sig[j] + max(sig[k] for k in range(n) if k != j))
    return sims, sum(soft) / len(soft), sum(contrast) / len(contrast)


@pytest.mark.parametrize("variant", ["softmax", "contrast"])
def test_ge2e_matches_loop(variant):
    loss = LOSSES.build("ge2e", embed_dim=D, num_classes=0, variant=variant).double()
    with torch.no_grad():
        loss.w.fill_(3.0)
        loss.b.fill_(-1.5)
    x = batch()
    sims, soft, contrast = ge2e_loop(x, 3.0, -1.5)
    out = loss(x)
    torch.testing.assert_close(out.logits, torch.tensor(sims, dtype=torch.float64))
    assert out.loss.item() == pytest.approx(soft if variant == "softmax" else contrast, rel=1e-9)
    targets = torch.arange(N).repeat_interleave(M)
    want_acc = (torch.tensor(sims).argmax(1) == targets).float().mean()
    assert out.accuracy.item() == pytest.approx(want_acc.item())


def test_ge2e_keeps_w_positive():
    loss = LOSSES.build("ge2e", embed_dim=D, num_classes=0).double()
    with torch.no_grad():
        loss.w.fill_(-2.0)
        loss.b.fill_(0.0)
    assert loss(batch()).logits.abs().max().item() < 1e-5  # w clamped to 1e-6


def test_prototypical_matches_direct_computation():
    x = batch(1)
    out = LOSSES.build("prototypical", embed_dim=D, num_classes=0)(x)
    total, correct = 0.0, 0
    for j in range(N):
        query = x[j, M - 1]
        scores = []
        for k in range(N):
            proto = sum(x[k, u] for u in range(M - 1)) / (M - 1)
            scores.append(-float(((query - proto) ** 2).sum()))
        total += -scores[j] + math.log(sum(math.exp(s) for s in scores))
        correct += max(range(N), key=lambda k: scores[k]) == j
    assert out.loss.item() == pytest.approx(total / N, rel=1e-9)
    assert out.accuracy.item() == pytest.approx(correct / N)


def test_angular_prototypical_matches_direct_computation():
    loss = LOSSES.build("angular_prototypical", embed_dim=D, num_classes=0).double()
    with torch.no_grad():
        loss.w.fill_(7.0)
        loss.b.fill_(-2.0)
    x = batch(2)
    total = 0.0
    for j in range(N):
        scores = [
            7.0 * cos(x[j, M - 1], sum(x[k, u] for u in range(M - 1)) / (M - 1)) - 2.0
            for k in range(N)
        ]
        total += -scores[j] + math.log(sum(math.exp(s) for s in scores))
    assert loss(x).loss.item() == pytest.approx(total / N, rel=1e-9)


def planar(angles_deg) -> torch.Tensor:
    """[N, M, 2] unit vectors at the given angles (degrees)."""
    a = torch.tensor(angles_deg, dtype=torch.float64) * math.pi / 180
    return torch.stack([a.cos(), a.sin()], dim=-1)


ANGLES = [[0, 10, 40], [90, 100, 105], [200, 60, 250]]


def test_triplet_hard_mining_picks_hardest_pair():
    x = planar(ANGLES)
    loss = LOSSES.build("triplet", embed_dim=2, num_classes=0, margin=0.3)
    d_ap, d_an, pos, neg = loss.hardest(x)
    # Anchor 0 (0 deg): hardest positive is 40 deg (row 2), hardest negative 60 deg (row 7).
    assert (pos[0].item(), neg[0].item()) == (2, 7)
    assert d_ap[0].item() == pytest.approx(1 - math.cos(math.radians(40)))
    assert d_an[0].item() == pytest.approx(1 - math.cos(math.radians(60)))
    # Anchor 7 (60 deg): positives at 140 deg (200) and 170 deg (250) away -> row 8;
    # nearest negative is 40 deg (row 2), 20 deg away.
    assert (pos[7].item(), neg[7].item()) == (8, 2)
    flat = x.reshape(-1, 2)
    spk = [j for j in range(3) for _ in range(3)]
    total, right = 0.0, 0
    for a in range(9):
        dist = [1 - cos(flat[a], flat[b]) for b in range(9)]
        ap = max(dist[b] for b in range(9) if spk[b] == spk[a] and b != a)
        an = min(dist[b] for b in range(9) if spk[b] != spk[a])
        assert (d_ap[a].item(), d_an[a].item()) == pytest.approx((ap, an))
        total += max(0.0, ap - an + 0.3)
        right += ap < an
    out = loss(x)
    assert out.loss.item() == pytest.approx(total / 9)
    assert out.accuracy.item() == pytest.approx(right / 9)


def test_triplet_all_mining_matches_loop():
    x = planar(ANGLES)
    loss = LOSSES.build("triplet", embed_dim=2, num_classes=0, margin=0.2, mining="all")
    flat = x.reshape(-1, 2)
    spk = [j for j in range(3) for _ in range(3)]
    terms = [
        max(0.0, (1 - cos(flat[a], flat[p])) - (1 - cos(flat[a], flat[n])) + 0.2)
        for a in range(9)
        for p in range(9)
        for n in range(9)
        if spk[p] == spk[a] and p != a and spk[n] != spk[a]
    ]
    assert len(terms) == 9 * 2 * 6
    assert loss(x).loss.item() == pytest.approx(sum(terms) / len(terms))


def test_contrastive_matches_loop():
    x = batch(3)
    margin = 1.2
    out = LOSSES.build("contrastive", embed_dim=D, num_classes=0, margin=margin)(x)
    flat = F.normalize(x.reshape(N * M, D), dim=1)
    spk = [j for j in range(N) for _ in range(M)]
    pos, neg = [], []
    for a in range(N * M):
        for b in range(a + 1, N * M):
            d = float((flat[a] - flat[b]).norm())
            (pos if spk[a] == spk[b] else neg).append(d)
    want = 0.5 * sum(d * d for d in pos) / len(pos) + 0.5 * sum(
        max(0.0, margin - d) ** 2 for d in neg
    ) / len(neg)
    assert out.loss.item() == pytest.approx(want, rel=1e-9)
    assert out.accuracy is None


def test_softmax_angular_prototypical_is_the_sum_of_its_terms():
    torch.manual_seed(0)
    C = 6
    loss = LOSSES.build(
        "softmax_angular_prototypical", embed_dim=D, num_classes=C, classifier_weight=0.5
    ).double()
    x, labels = batch(4), torch.tensor([5, 0, 3, 1])
    fc = loss.classifier.fc
    logits = x.reshape(N * M, D) @ fc.weight.t() + fc.bias
    flat_labels = torch.tensor([5, 5, 5, 0, 0, 0, 3, 3, 3, 1, 1, 1])
    ce = F.cross_entropy(logits, flat_labels)
    ap = LOSSES.build("angular_prototypical", embed_dim=D, num_classes=0).double()
    out = loss(x, labels)
    torch.testing.assert_close(out.loss, 0.5 * ce + ap(x).loss)
    torch.testing.assert_close(out.logits, logits)
    with pytest.raises(ValueError, match="one per speaker row"):
        loss(x, flat_labels)
