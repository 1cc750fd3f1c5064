"""VoxCeleb2 (m4a pipes), CN-Celeb, LibriSpeech and SITW on tiny trees with known output."""

from __future__ import annotations

import os
import subprocess

import pytest

from Process_Data.audio import AudioReader, ffmpeg_exe
from Process_Data.corpora.cnceleb import prepare_cnceleb
from Process_Data.corpora.common import CorpusError
from Process_Data.corpora.librispeech import prepare_librispeech
from Process_Data.corpora.sitw import prepare_sitw
from Process_Data.corpora.voxceleb2 import prepare_voxceleb2
from Process_Data.data_dir import read_kv, validate_data_dir


def quiet(*_):
    pass


def test_voxceleb2_m4a_pipes(tmp_path, write_tone):
    src = write_tone(tmp_path / "src.wav", 22050, 0.5)
    m4a = tmp_path / "vox2/dev/aac/id1/sessA/00001.m4a"
    m4a.parent.mkdir(parents=True)
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(src), "-c:a", "aac",
                    str(m4a)], check=True)  # fmt: skip
    out = prepare_voxceleb2(tmp_path / "vox2/dev", tmp_path / "data/vox2", log=quiet)
    scp = read_kv(out / "wav.scp")
    path = os.path.realpath(m4a)
    assert scp == {
        "id1-sessA-00001": f"{ffmpeg_exe()} -nostdin -v error -i {path} -f wav -ac 1 -ar 16000 - |"
    }
    assert not (out / "utt2dur").exists()
    validate_data_dir(out, no_feats=True)
    wav = AudioReader(out / "wav.scp", sample_rate=16000)["id1-sessA-00001"]
    assert abs(len(wav) - 8000) < 2048  # aac priming/padding adds a little
    empty = tmp_path / "vox2/dev/aac/id1/sessB/00001.m4a"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    with pytest.raises(CorpusError, match=r"sessB/00001.m4a: empty file"):
        prepare_voxceleb2(tmp_path / "vox2/dev", tmp_path / "data/vox2", log=quiet)
    assert read_kv(out / "wav.scp") == scp  # the previous data dir is untouched


def test_cnceleb(tmp_path, write_tone):
    c1 = tmp_path / "CN-Celeb"
    for spk in ("id00000", "id00001", "id00800"):
        write_tone(c1 / f"data/{spk}/singing-01-001.flac", 16000, 0.5)
    (c1 / "dev").mkdir()
    (c1 / "dev/dev.lst").write_text("id00000\nid00001\n")
    write_tone(c1 / "eval/enroll/id00800-enroll.flac", 16000, 0.5)
    write_tone(c1 / "eval/test/id00800-vlog-01-002.flac", 16000, 0.25)
    write_tone(c1 / "eval/test/id00801-interview-02-003.flac", 16000, 0.25)
    (c1 / "eval/lists").mkdir()
    (c1 / "eval/lists/enroll.lst").write_text("id00800-enroll enroll/id00800-enroll.flac\n")
    (c1 / "eval/lists/trials.lst").write_text(
        "id00800-enroll test/id00800-vlog-01-002.flac 1\n"
        "id00800-enroll test/id00801-interview-02-003.flac 0\n"
    )
    c2 = tmp_path / "CN-Celeb2"
    write_tone(c2 / "data/id10000/speech-03-004.flac", 16000, 0.5)
    out = prepare_cnceleb([c1, c2], tmp_path / "data", log=quiet)
    assert list(read_kv(out["train"] / "utt2spk").items()) == [
        ("id00000-singing-01-001", "id00000"), ("id00001-singing-01-001", "id00001"),
        ("id10000-speech-03-004", "id10000"),
    ]  # fmt: skip
    assert read_kv(out["eval_enroll"] / "utt2spk") == {"id00800-enroll": "id00800"}
    assert (out["eval_test"] / "trials").read_text() == (
        "id00800-enroll id00800-vlog-01-002 target\n"
        "id00800-enroll id00801-interview-02-003 nontarget\n"
    )
    for d in out.values():
        validate_data_dir(d, no_feats=True)
    (c1 / "eval/lists/trials.lst").write_text("id00899-enroll test/x.flac 1\n")
    with pytest.raises(CorpusError, match=r"trials.lst:1: 'id00899-enroll' not in enroll.lst"):
        prepare_cnceleb([c1], tmp_path / "data2", log=quiet)


def test_librispeech(tmp_path, write_tone):
    sub = tmp_path / "LibriSpeech/dev-clean"
    write_tone(sub / "84/121123/84-121123-0000.flac", 16000, 0.5)
    write_tone(sub / "84/121123/84-121123-0001.flac", 16000, 0.25)
    write_tone(sub / "174/50561/174-50561-0000.flac", 16000, 0.5)
    (tmp_path / "LibriSpeech/SPEAKERS.TXT").write_text(
        "; ID | SEX | SUBSET | MINUTES | NAME\n84 | F | dev-clean | 8.02 | Christie\n"
        "174 | M | dev-clean | 8.04 | Peter\n"
    )
    out = prepare_librispeech(sub, tmp_path / "data/libri", log=quiet)
    assert (out / "utt2spk").read_text() == (
        "174-50561-0000 174\n84-121123-0000 84\n84-121123-0001 84\n"
    )
    assert (out / "spk2gender").read_text() == "174 m\n84 f\n"
    assert (out / "utt2dur").read_text().splitlines()[2] == "84-121123-0001 0.250"
    write_tone(sub / "84/121123/85-121123-0002.flac", 16000, 0.5)
    with pytest.raises(CorpusError, match=r"85-121123-0002.flac: expected a name"):
        prepare_librispeech(sub, tmp_path / "data/libri", log=quiet)


def test_sitw(tmp_path, write_tone):
    dev = tmp_path / "sitw/dev"
    for name in ("aaa", "bbb", "ccc"):
        write_tone(dev / f"audio/{name}.flac", 16000, 0.5)
    (dev / "lists").mkdir()
    (dev / "keys").mkdir()
    (dev / "lists/enroll-core.lst").write_text("10001 audio/aaa.flac\n")
    (dev / "keys/core-core.lst").write_text("10001 audio/bbb.flac tgt\n10001 audio/ccc.flac imp\n")
    out = prepare_sitw(tmp_path / "sitw", tmp_path / "data", parts=["dev"], log=quiet)
    assert read_kv(out["dev_enroll"] / "utt2spk") == {"10001-aaa": "10001"}
    assert read_kv(out["dev_test"] / "utt2spk") == {"bbb": "bbb", "ccc": "ccc"}
    assert (out["dev_test"] / "trials").read_text() == (
        "10001-aaa bbb target\n10001-aaa ccc nontarget\n"
    )
    (dev / "keys/core-core.lst").write_text("10001 audio/bbb.flac maybe\n")
    with pytest.raises(CorpusError, match=r"core-core.lst:1: label 'maybe'"):
        prepare_sitw(tmp_path / "sitw", tmp_path / "data", parts=["dev"], log=quiet)
