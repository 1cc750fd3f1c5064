"""Analysis of trained speaker networks: attributions, perturbation curves, frequency
attention, attention maps and embedding-space checks.

Attribution methods are in the ``ATTRIBUTIONS`` registry, one file each: ``saliency``,
``gradcam``, ``gradcam_pp``, ``fullgrad``, ``integrated_gradients``,
``expected_integrated_gradients``, ``attention``. Each maps one utterance's model input
``[frames, bins]`` to a map of the same shape for a target
(:mod:`TrainAndTest.analysis.targets`).

Example:
    >>> from TrainAndTest.analysis import ATTRIBUTIONS
    >>> ATTRIBUTIONS.names()  # doctest: +NORMALIZE_WHITESPACE
    ['attention', 'expected_integrated_gradients', 'fullgrad', 'gradcam', 'gradcam_pp',
     'integrated_gradients', 'saliency']
"""

from TrainAndTest.analysis import (  # noqa: F401  (imported to register)
    attention,
    expected_integrated_gradients,
    fullgrad,
    gradcam,
    gradcam_pp,
    integrated_gradients,
    saliency,
)
from TrainAndTest.analysis.base import (
    ATTRIBUTIONS,
    AnalysisError,
    Attribution,
    band_mass,
    build_method,
)

__all__ = ["ATTRIBUTIONS", "AnalysisError", "Attribution", "band_mass", "build_method"]
