"""conf/augment_online.yaml is filled strictly and checked as a chain before training."""

import pytest

from Process_Data.bin import fill_placeholders
from Process_Data.bin.fill_placeholders import fill, parse_assignments
from tests.conftest import REPO
from tests.recipe_fakes import make_rirs


def test_fill_is_strict():
    assert fill("a: ${X}/${X} ${Y_1}", {"X": "p", "Y_1": "q"}) == "a: p/p q"
    with pytest.raises(ValueError, match=r"t.yaml: placeholder \$\{Y\} has no value"):
        fill("${X} ${Y}", {"X": "1"}, "t.yaml")
    with pytest.raises(ValueError, match=r"no placeholder \$\{Z\}"):
        fill("${X}", {"X": "1", "Z": "2"})
    assert parse_assignments(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    with pytest.raises(ValueError, match="not NAME=value"):
        parse_assignments(["nothing"])


def _noise_dir(path):
    path.mkdir(parents=True)
    (path / "wav.scp").write_text("n1 /dev/null\n")


def test_recipe_template_fills_and_builds_a_chain(tmp_path, capsys):
    make_rirs(tmp_path / "RIRS_NOISES")
    data = tmp_path / "data"
    out = tmp_path / "exp" / "augment.yaml"
    argv = ["--check-chain", str(REPO / "conf" / "augment_online.yaml"), str(out),
            f"RIRS_ROOT={tmp_path / 'RIRS_NOISES'}", f"MUSAN_DATA={data}"]
    assert fill_placeholders.main(argv) == 1  # no MUSAN data dirs yet
    assert "musan_noise" in capsys.readouterr().err and not out.exists()
    for name in ("musan_noise", "musan_music", "musan_speech"):
        _noise_dir(data / name)
    assert fill_placeholders.main(argv) == 0, capsys.readouterr().err
    text = out.read_text()
    assert "${" not in text and f"{data}/musan_speech" in text
    assert not list(out.parent.glob("*.tmp*"))
