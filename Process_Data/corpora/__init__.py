"""Corpus preparation: from a corpus on disk to Kaldi data dirs (one module per corpus).

Modules: ``common`` (audio checks and atomic data-dir writing shared by all), ``voxceleb1``,
``voxceleb2``, ``cnceleb``, ``librispeech``, ``sitw``, ``musan``, ``rirs``, ``trials``
(Kaldi trials lists) and ``demo`` (the built-in synthetic espeak-ng corpus).
"""
