"""SpeechBrain's ECAPA_TDNN configured like ours: the reference of the model benchmarks.

SpeechBrain (PyPI ``speechbrain``) is only a benchmark reference, never a dependency of the
project: when it cannot be imported, ``speechbrain_ecapa`` prints why and returns None, and
the benchmarks skip its rows. It imports ``torchaudio`` at import time; a stand-in package
with an empty ``__init__.py`` on PYTHONPATH is enough for the ECAPA class.
"""

from __future__ import annotations

from typing import Optional

import torch


def speechbrain_ecapa(channels: int, feat_dim: int = 80, embed_dim: int = 192) -> Optional[torch.nn.Module]:
    """SpeechBrain's ECAPA_TDNN with our ``ecapa_tdnn`` layout (``channels`` in the four
    frame layers, 1536 in the last, attention 128, Res2Net scale 8, SE 128, global
    context), or None when SpeechBrain cannot be imported. Its forward returns (batch, 1,
    embed_dim) from (batch, frames, feat_dim). The one difference in layout: ours ends with a
    batch norm of the embedding (2 x embed_dim parameters more)."""
    try:
        from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN
    except Exception as err:  # any import failure means: no reference in this run
        print(f"# SpeechBrain skipped: cannot import speechbrain ECAPA_TDNN ({err})")
        return None
    return ECAPA_TDNN(
        input_size=feat_dim,
        lin_neurons=embed_dim,
        channels=[channels] * 4 + [1536],
        kernel_sizes=[5, 3, 3, 3, 1],
        dilations=[1, 2, 3, 4, 1],
        attention_channels=128,
        res2net_scale=8,
        se_channels=128,
        global_context=True,
    )
