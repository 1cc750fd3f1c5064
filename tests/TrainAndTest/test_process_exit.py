"""run_and_exit: the status and the output of a tool that ends with os._exit."""

import subprocess
import sys

import pytest

from tests.conftest import REPO


def _run(body: str):
    code = ("import sys\nfrom TrainAndTest.bin.process_exit import run_and_exit\n"
            f"def main():\n{body}\nrun_and_exit(main)\n")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("body,status,out,err", [
    ("    print('x' * 100000, end='')\n    return 0", 0, "x" * 100000, ""),
    ("    print('partial', file=sys.stderr)\n    return 1", 1, "", "partial\n"),
    ("    sys.exit(2)", 2, "", ""),
    ("    sys.exit('bad option --foo')", 1, "", "bad option --foo\n"),
    ("    return None", 0, "", ""),
])
def test_status_and_buffered_output_survive(body, status, out, err):
    p = _run(body)
    assert (p.returncode, p.stdout, p.stderr) == (status, out, err)


def test_other_exceptions_keep_their_traceback():
    p = _run("    raise RuntimeError('boom')")
    assert p.returncode == 1 and "RuntimeError: boom" in p.stderr


def test_compute_metrics_cli_ends_through_it(tmp_path):
    (tmp_path / "trials").write_text("a b target\na c nontarget\nb c nontarget\n")
    (tmp_path / "scores").write_text("a b 0.9\na c 0.1\nb c 0.2\n")
    p = subprocess.run([sys.executable, "-m", "TrainAndTest.bin.compute_metrics",
                        str(tmp_path / "trials"), str(tmp_path / "scores")], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("EER: 0.00%")
    bad = subprocess.run([sys.executable, "-m", "TrainAndTest.bin.compute_metrics",
                          "--no-such-option"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "error: the following arguments are required" in bad.stderr
