"""NetVLAD and GhostVLAD pooling.

Frames are softly assigned to ``clusters + ghost_clusters`` learnt centres; the residuals to
the real centres are summed per cluster, normalised per cluster and overall (Arandjelovic et
al., 2016). Ghost clusters absorb uninformative frames and are dropped from the output
(Zhong et al., 2018; Xie et al., 2019). Output size ``clusters * in_dim``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from TrainAndTest.pooling.base import POOLING, Pooling


@POOLING.register("ghostvlad")
class GhostVladPooling(Pooling):
    """GhostVLAD (``ghost_clusters > 0``) or NetVLAD (``ghost_clusters = 0``).

    Args:
        in_dim: input channels C.
        clusters: number of real clusters K.
        ghost_clusters: number of ghost clusters G.

    Example:
        >>> p = GhostVladPooling(in_dim=4, clusters=3, ghost_clusters=2)
        >>> out, att = p(torch.randn(2, 4, 10), return_attention=True)
        >>> out.shape, att.shape
        (torch.Size([2, 12]), torch.Size([2, 5, 10]))
    """

    def __init__(self, in_dim: int, clusters: int = 8, ghost_clusters: int = 2):
        super().__init__(in_dim)
        if clusters <= 0 or ghost_clusters < 0:
            raise ValueError(
                f"{type(self).__name__}: need clusters > 0 and ghost_clusters >= 0, "
                f"got {clusters}, {ghost_clusters}"
            )
        self.clusters = clusters
        self.ghost_clusters = ghost_clusters
        self.assign = nn.Conv1d(in_dim, clusters + ghost_clusters, kernel_size=1)
        self.centroids = nn.Parameter(torch.randn(clusters, in_dim) * 0.1)
        self.out_dim = clusters * self.in_dim

    def pool(self, x):
        """See :meth:`Pooling.pool`; attention is the soft assignment [B, K+G, T]."""
        assignment = torch.softmax(self.assign(x), dim=1)
        real = assignment[:, : self.clusters]  # [B, K, T]
        # sum_t a_kt (x_t - c_k) = sum_t a_kt x_t - c_k sum_t a_kt
        vlad = torch.bmm(real, x.transpose(1, 2)) - real.sum(-1, keepdim=True) * self.centroids
        vlad = F.normalize(vlad, dim=-1).flatten(1)
        return F.normalize(vlad, dim=-1), assignment


@POOLING.register("netvlad")
class NetVladPooling(GhostVladPooling):
    """NetVLAD: :class:`GhostVladPooling` without ghost clusters.

    Example:
        >>> NetVladPooling(in_dim=4, clusters=3)(torch.randn(2, 4, 10)).shape
        torch.Size([2, 12])
    """

    def __init__(self, in_dim: int, clusters: int = 8):
        super().__init__(in_dim, clusters=clusters, ghost_clusters=0)
