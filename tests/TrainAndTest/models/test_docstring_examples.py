"""The docstring examples of the model and pooling packages run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import TrainAndTest.models
import TrainAndTest.pooling

MODULES = [
    f"{pkg.__name__}.{info.name}"
    for pkg in (TrainAndTest.models, TrainAndTest.pooling)
    for info in pkgutil.iter_modules(pkg.__path__)
] + ["TrainAndTest.models", "TrainAndTest.pooling"]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{module_name}: {result.failed} failing example(s)"
