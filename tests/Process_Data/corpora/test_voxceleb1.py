"""VoxCeleb1-layout preparation on a tiny tree and on the real minivox."""

from __future__ import annotations

import os

import numpy as np
import pytest

from Process_Data.audio import AudioReader
from Process_Data.corpora.common import CorpusError
from Process_Data.corpora.voxceleb1 import (
    prepare_voxceleb1,
    read_speaker_domains,
    read_speaker_sets,
)
from Process_Data.data_dir import DataDirError, read_kv, validate_data_dir


def quiet(*_):
    pass


@pytest.fixture
def vox(tmp_path, write_tone):
    """3 speakers: s1 (16 kHz wav), s2 (8 kHz FLAC), s3 (44.1 kHz stereo FLAC), test = s2,s3."""
    root = tmp_path / "vox"
    write_tone(root / "wav/s1/a/1.wav", 16000, 0.5)
    write_tone(root / "wav/s1/b/2.wav", 16000, 0.25)
    write_tone(root / "wav/s2/a/1.flac", 8000, 0.5)
    write_tone(root / "wav/s2/c/3.flac", 8000, 1.0)
    write_tone(root / "wav/s3/a/1.flac", 44100, 0.5, channels=2)
    (root / "meta.csv").write_text(
        "speaker,gender,corpus,set,utterances\ns1,m,x,dev,2\ns2,f,x,test,2\ns3,m,x,test,1\n"
    )
    (root / "trials").mkdir()
    (root / "trials/test.txt").write_text("1 s2/a/1.flac s2/c/3.flac\n0 s2/a/1.flac s3/a/1.flac\n")
    (root / "trials/test_x.txt").write_text("0 s3/a/1.flac s2/c/3.flac\n")
    return root


def test_tiny_tree_known_output(vox, tmp_path):
    out = prepare_voxceleb1(vox, tmp_path / "data", log=quiet)
    dev, test = out["dev"], out["test"]
    assert "all" not in out
    wav = os.path.realpath(vox / "wav")
    assert (dev / "wav.scp").read_text() == f"s1-a-1 {wav}/s1/a/1.wav\ns1-b-2 {wav}/s1/b/2.wav\n"
    assert (dev / "utt2spk").read_text() == "s1-a-1 s1\ns1-b-2 s1\n"
    assert (dev / "utt2dur").read_text() == "s1-a-1 0.500\ns1-b-2 0.250\n"
    assert (test / "spk2utt").read_text() == "s2 s2-a-1 s2-c-3\ns3 s3-a-1\n"
    assert (test / "spk2gender").read_text() == "s2 f\ns3 m\n"
    assert (test / "utt2domain").read_text() == "s2-a-1 x\ns2-c-3 x\ns3-a-1 x\n"  # corpus column
    assert (test / "utt2dur").read_text() == "s2-a-1 0.500\ns2-c-3 1.000\ns3-a-1 0.500\n"
    assert (test / "trials").read_text() == "s2-a-1 s2-c-3 target\ns2-a-1 s3-a-1 nontarget\n"
    assert (test / "trials_x").read_text() == "s3-a-1 s2-c-3 nontarget\n"
    validate_data_dir(dev, no_feats=True)
    validate_data_dir(test, no_feats=True)
    reader = AudioReader(test / "wav.scp", sample_rate=16000)
    assert reader["s2-c-3"].shape == (16000,)  # 1 s at 8 kHz comes back at 16 kHz
    assert reader["s3-a-1"].shape == (8000,)  # 44.1 kHz stereo -> 16 kHz mono


def test_official_lists_and_eh_lists_go_to_all(vox, tmp_path):
    (vox / "trials/test.txt").unlink()
    (vox / "veri_test2.txt").write_text("1 s2/a/1.wav s2/c/3.wav\n")
    (vox / "list_test_hard2.txt").write_text("0 s1/a/1.wav s2/c/3.wav\n")
    out = prepare_voxceleb1(vox, tmp_path / "data", log=quiet)
    assert (out["test"] / "trials").read_text() == "s2-a-1 s2-c-3 target\n"
    assert (out["test"] / "trials_vox1_o_clean").read_text() == "s2-a-1 s2-c-3 target\n"
    assert (out["all"] / "trials_vox1_h_clean").read_text() == "s1-a-1 s2-c-3 nontarget\n"
    assert len(read_kv(out["all"] / "utt2spk")) == 5


def test_test_speaker_list_overrides_meta(vox, tmp_path):
    (vox / "trials/test.txt").write_text("1 s1/a/1.wav s1/b/2.wav\n")
    (vox / "trials/test_x.txt").unlink()
    (tmp_path / "spk").write_text("s1\n")
    out = prepare_voxceleb1(vox, tmp_path / "data", test_speakers=tmp_path / "spk", log=quiet)
    assert set(read_kv(out["test"] / "utt2spk").values()) == {"s1"}
    assert set(read_kv(out["dev"] / "utt2spk").values()) == {"s2", "s3"}


def test_unreadable_audio_named_and_nothing_half_written(vox, tmp_path):
    data = tmp_path / "data"
    prepare_voxceleb1(vox, data, log=quiet)
    before = (data / "voxceleb1_dev" / "wav.scp").read_text()
    (vox / "wav/s1/b/2.wav").write_bytes(b"this is not audio")
    with pytest.raises(CorpusError, match=r"s1/b/2.wav: unreadable"):
        prepare_voxceleb1(vox, data, log=quiet)
    assert (data / "voxceleb1_dev" / "wav.scp").read_text() == before
    assert sorted(os.listdir(data)) == ["voxceleb1_dev", "voxceleb1_test"]
    os.symlink(tmp_path / "missing.wav", vox / "wav/s1/b/3.wav")
    (vox / "wav/s1/b/2.wav").unlink()
    with pytest.raises(CorpusError, match=r"s1/b/3.wav: file not found"):
        prepare_voxceleb1(vox, tmp_path / "fresh", log=quiet)
    assert not (tmp_path / "fresh").exists() or not os.listdir(tmp_path / "fresh")


def test_trial_with_unknown_file_is_named(vox, tmp_path):
    (vox / "trials/test_x.txt").write_text("1 s2/a/1.flac s9/a/1.flac\n")
    with pytest.raises(DataDirError, match=r"test_x.txt:1: 's9/a/1.flac'"):
        prepare_voxceleb1(vox, tmp_path / "data", log=quiet)


def test_meta_errors(tmp_path):
    p = tmp_path / "meta.csv"
    p.write_text("speaker,set\na,dev\nb,train\n")
    with pytest.raises(CorpusError, match=r"meta.csv:3: set 'train'"):
        read_speaker_sets(p)
    p.write_text("VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\nid1\tX\tm\tUSA\ttest\n")
    assert read_speaker_sets(p) == ({"id1": "test"}, {"id1": "m"})
    assert read_speaker_domains(p) == {}  # VoxCeleb's meta has no domain column
    p.write_text("speaker,corpus,set\na,sc,dev\nb,,test\n")
    with pytest.raises(CorpusError, match=r"meta.csv:3: domain '' is empty"):
        read_speaker_domains(p)


@pytest.mark.shared_data
def test_minivox(shared_data, tmp_path):
    out = prepare_voxceleb1(shared_data / "minivox", tmp_path / "data", log=quiet)
    dev = validate_data_dir(out["dev"], no_feats=True)
    test = validate_data_dir(out["test"], no_feats=True)
    assert len(dev.speakers) == 297 and len(test.speakers) == 60
    assert len(dev.utts) + len(test.utts) == 10352
    domains = read_kv(out["test"] / "utt2domain")
    assert sorted(set(domains.values())) == ["az", "rav", "sc", "ur"]
    assert all(domains[u] == u.split("_")[0] for u in domains)  # minivox ids carry the corpus
    trials = (out["test"] / "trials").read_text().splitlines()
    assert len(trials) == 9042
    for name in ("az", "rav", "sc", "ur"):
        n_src = len((shared_data / f"minivox/trials/test_{name}.txt").read_text().splitlines())
        assert len((out["test"] / f"trials_{name}").read_text().splitlines()) == n_src
    wav_scp = read_kv(out["dev"] / "wav.scp")
    fsdd = next(u for u in wav_scp if u.startswith("fsdd_"))
    import soundfile as sf

    assert sf.info(wav_scp[fsdd]).samplerate == 8000
    wav = AudioReader({fsdd: wav_scp[fsdd]}, sample_rate=16000)[fsdd]
    dur = float(read_kv(out["dev"] / "utt2dur")[fsdd])
    assert wav.dtype == np.float32 and abs(len(wav) - dur * 16000) <= 2
