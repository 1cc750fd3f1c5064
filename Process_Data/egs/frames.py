"""Frame-level preparation of a feature matrix before chunking: VAD selection, sliding CMN.

Thin adapters over the feature package's Kaldi implementations, with the egs' conventions:
``select_voiced`` keeps frames whose ``vad.scp`` value is non-zero (Kaldi's
``select-voiced-frames``) and names the utterance when the lengths disagree;
``sliding_cmvn`` is ``apply-cmvn-sliding --center=true --cmn-window=<window>`` (windows are
shifted, not shrunk, at the edges; a shorter utterance uses all its frames).

Example:
    >>> import numpy as np
    >>> x = np.arange(6, dtype=np.float32).reshape(6, 1)
    >>> sliding_cmvn(x, window=2)[:, 0]
    array([-0.5,  0.5,  0.5,  0.5,  0.5,  0.5], dtype=float32)
    >>> select_voiced(x, np.array([0, 1, 1, 0, 0, 1.]))[:, 0]
    array([1., 2., 5.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from Process_Data.features.cmvn import SlidingCmvnOptions
from Process_Data.features.cmvn import sliding_cmvn as _kaldi_sliding_cmvn
from Process_Data.features.vad import select_voiced_frames


def select_voiced(feats: np.ndarray, vad: np.ndarray, where: str = "") -> np.ndarray:
    """Rows of ``feats`` whose VAD value is non-zero.

    Raises:
        ValueError: the lengths differ (``where`` names the utterance).
    """
    try:
        return select_voiced_frames(feats, vad)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def sliding_cmvn(feats: np.ndarray, window: int = 300, norm_vars: bool = False) -> np.ndarray:
    """Centred sliding-window mean (and variance) normalisation of ``feats [frames, dim]``.

    Args:
        feats: ``[frames, dim]`` matrix.
        window: window length in frames (Kaldi ``--cmn-window``).
        norm_vars: also normalise the variance.

    Returns:
        float32 matrix of the same shape.
    """
    window = int(window)
    opts = SlidingCmvnOptions(
        cmn_window=window, min_cmn_window=min(100, window), center=True, norm_vars=norm_vars
    )
    return _kaldi_sliding_cmvn(feats, opts)
