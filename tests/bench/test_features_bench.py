"""bench/features.py says what to install when its reference is missing."""

import importlib.util
import sys

import pytest

from tests.conftest import REPO


def _load():
    spec = importlib.util.spec_from_file_location("bench_features", REPO / "bench" / "features.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_missing_reference_names_what_to_install(monkeypatch, capsys):
    bench = _load()
    monkeypatch.setitem(sys.modules, "kaldi_native_fbank", None)
    assert bench.main(["--minutes", "0.01", "--repeats", "1"]) == 2
    err = capsys.readouterr().err
    assert "kaldi-native-fbank is not installed" in err
    assert "utils/setup_venv.sh --with-bench" in err


def test_reference_found_when_installed():
    if importlib.util.find_spec("kaldi_native_fbank") is None:
        pytest.skip("kaldi-native-fbank is not installed (utils/setup_venv.sh --with-bench)")
    assert _load().check_reference()
