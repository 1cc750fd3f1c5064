"""Scoring back-end: transforms, PLDA, cosine, score normalisation, calibration, thresholds."""
