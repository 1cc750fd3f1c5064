"""Data side of the recipe: Kaldi data dirs, audio, features, augmentation and egs.

Importing the package is cheap (no numpy or torch at import time) so that the job
backends in ``utils/`` can run on a bare system Python.
"""
