"""Process_Data.signature: what changes a step's signature and what does not."""

from __future__ import annotations

import os

import pytest

from Process_Data.bin.signature import main
from Process_Data.signature import parse_args, signature, signature_lines, table_files


def _data(tmp_path):
    d = tmp_path / "data"
    (d / "conf").mkdir(parents=True)
    (d / "conf" / "fbank.conf").write_text("--num-mel-bins=80\n")
    (d / "utt2spk").write_text("s1-a s1\n")
    ark = tmp_path / "feats.1.ark"
    ark.write_bytes(b"x" * 100)
    (d / "feats.scp").write_text(f"s1-a {ark}:10\n")
    return d, ark


def _sig(d):
    return signature(files=[str(d / "utt2spk"), str(d / "conf"), str(d / "vad.scp")],
                     tables=[str(d / "feats.scp")], options=["--min-frames 100"])  # fmt: skip


def test_touching_changes_nothing_editing_does(tmp_path):
    d, ark = _data(tmp_path)
    s = _sig(d)
    os.utime(d / "utt2spk", ns=(1, 1))
    (d / "conf" / "fbank.conf").write_text("--num-mel-bins=80\n")  # same bytes, new mtime
    (d / "conf" / ".fbank.conf.tmp").write_text("partial")  # temp files do not count
    assert _sig(d) == s
    (d / "conf" / "fbank.conf").write_text("--num-mel-bins=40\n")
    assert _sig(d) != s


def test_an_archive_rewritten_under_the_same_table_changes_it(tmp_path):
    d, ark = _data(tmp_path)
    s = _sig(d)
    st = ark.stat()
    ark.write_bytes(b"y" * 100)  # recomputed features: feats.scp's text is the same
    os.utime(ark, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert _sig(d) != s


def test_absent_and_present_differ(tmp_path):
    d, _ = _data(tmp_path)
    s = _sig(d)
    (d / "vad.scp").write_text("")
    assert _sig(d) != s
    assert signature_lines(files=[str(d / "no_such")]) == [f"{d}/no_such absent"]


def test_table_files_reads_offsets_ranges_and_pipes(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.ark"
    a.write_bytes(b"1")
    b.write_bytes(b"2")
    scp = tmp_path / "wav.scp"
    scp.write_text(f"u1 {a}\nu2 sox {a} -t wav - |\nu3 {b}:5[0:3]\nu4 /no/such.wav\n")
    assert table_files(str(scp)) == [str(a), str(b)]


def test_cli_prints_one_line_and_errors_name_the_option(tmp_path, capsys):
    d, _ = _data(tmp_path)
    assert main(["--option", "--x 1", "--table", str(d / "feats.scp"), str(d / "utt2spk")]) == 0
    out = capsys.readouterr().out.split()
    assert len(out) == 1 and len(out[0]) == 64
    assert main(["--bogus", "1"]) == 1
    assert "--bogus" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--table needs a value"):
        parse_args(["--table"])
