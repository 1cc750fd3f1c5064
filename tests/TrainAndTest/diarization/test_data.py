"""Diarization data: the synthetic conversation generator (exact RTTMs, deterministic by
seed, test speakers only) and the diar_mini data dirs with their fixed dev/test split."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import soundfile as sf
from conftest import RATE, voice, write_wav

from Process_Data.data_dir import read_kv
from TrainAndTest.bin import make_diarization_data
from TrainAndTest.diarization.conversations import ConversationOptions, write_conversations
from TrainAndTest.diarization.data_prep import DIAR_MINI_SPLIT, prepare_rttm_folder
from TrainAndTest.diarization.rttm import RttmError, read_rttm, speech_regions

SPEAKERS = {"tr_a": "dev", "tr_b": "dev", "te_a": "test", "te_b": "test", "te_c": "test",
            "te_d": "test"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A VoxCeleb-layout corpus with meta.csv: 2 training and 4 test speakers, 3 utterances
    each with 0.3 s of silence around the voice."""
    root = tmp_path_factory.mktemp("corpus")
    rows = ["speaker,gender,corpus,set,utterances"]
    for i, (spk, part) in enumerate(sorted(SPEAKERS.items())):
        rows.append(f"{spk},m,x,{part},3")
        for u in range(3):
            (root / "wav" / spk / "s1").mkdir(parents=True, exist_ok=True)
            pad = np.zeros(int(0.3 * RATE), np.float32)
            x = voice(1.0 + 0.2 * u, RATE, seed=10 * i + u, f0=90.0 + 30 * i)
            write_wav(root / "wav" / spk / "s1" / f"{u}.wav", np.concatenate([pad, x, pad]))
    (root / "meta.csv").write_text("\n".join(rows) + "\n")
    return root


def _digest(data_dir):
    wavs = read_kv(data_dir / "wav.scp")
    h = hashlib.sha256((data_dir / "rttm").read_bytes())
    for reco in sorted(wavs):
        h.update(open(wavs[reco], "rb").read())
    return h.hexdigest()


def test_conversations_are_exact_and_deterministic(corpus, tmp_path):
    opts = ConversationOptions(duration=12.0, max_speakers=4)
    recos = write_conversations(corpus, tmp_path / "d1", tmp_path / "w1", 4, 7, opts)
    write_conversations(corpus, tmp_path / "d2", tmp_path / "w2", 4, 7, opts)
    write_conversations(corpus, tmp_path / "d3", tmp_path / "w3", 4, 8, opts)
    assert _digest(tmp_path / "d1") == _digest(tmp_path / "d2") != _digest(tmp_path / "d3")
    ref = read_rttm(tmp_path / "d1" / "rttm")
    counts = read_kv(tmp_path / "d1" / "reco2num_spk")
    for reco in recos:
        turns = ref[reco]
        speakers = {t.speaker for t in turns}
        assert speakers <= {s for s, p in SPEAKERS.items() if p == "test"}
        assert 2 <= len(speakers) <= 4 and int(counts[reco]) == len(speakers)
        assert turns[-1].end >= 12.0 and all(t.end - t.start >= 1.0 for t in turns)
        assert all(a.end <= b.start for a, b in zip(turns, turns[1:]))  # no overlap asked
        wave, sr = sf.read(read_kv(tmp_path / "d1" / "wav.scp")[reco], dtype="float32")
        inside = np.zeros(len(wave), bool)
        for s, e in speech_regions(turns):
            inside[round(s * sr):round(e * sr)] = True
        # the voice is where the reference says (trimmed utterances), noise elsewhere
        assert np.sqrt(np.mean(wave[inside] ** 2)) > 0.05
        assert np.sqrt(np.mean(wave[~inside] ** 2)) < 0.002


def test_overlap_is_drawn_when_asked(corpus, tmp_path):
    opts = ConversationOptions(duration=15.0, overlap_prob=1.0, min_speakers=3, max_speakers=3)
    (reco,) = write_conversations(corpus, tmp_path / "d", tmp_path / "w", 1, 0, opts)
    turns = read_rttm(tmp_path / "d" / "rttm")[reco]
    gaps = [b.start - a.end for a, b in zip(turns, turns[1:])]
    assert all(-1.0 - 1e-6 <= g <= -0.1 for g in gaps)


def test_generator_bad_input(corpus, tmp_path, capsys):
    rc = make_diarization_data.main(["conversations", "--overlap-prob", "2", str(corpus),
                                     str(tmp_path / "w"), str(tmp_path / "d")])
    assert rc == 1 and "--overlap-prob 2.0: must be in [0, 1]" in capsys.readouterr().err
    rc = make_diarization_data.main(["conversations", "--part", "eval", str(corpus),
                                     str(tmp_path / "w"), str(tmp_path / "d")])
    assert rc == 1 and "meta.csv: 0 speaker(s) of set 'eval'" in capsys.readouterr().err


def test_rttm_folder_bad_input(tmp_path):
    write_wav(tmp_path / "a.wav", voice(1.0, RATE))
    with pytest.raises(RttmError, match=r"a\.rttm: missing"):
        prepare_rttm_folder(tmp_path, tmp_path / "data")
    (tmp_path / "a.rttm").write_text("SPEAKER a 1 0.5 3.0 <NA> <NA> s <NA> <NA>\n")
    with pytest.raises(RttmError, match=r"a\.rttm: a turn ends at 3.500 s, after the end"):
        prepare_rttm_folder(tmp_path, tmp_path / "data")
    (tmp_path / "a.rttm").write_text("SPEAKER b 1 0.5 0.3 <NA> <NA> s <NA> <NA>\n")
    with pytest.raises(RttmError, match="turns of recording 'b', expected only 'a'"):
        prepare_rttm_folder(tmp_path, tmp_path / "data")


def test_diar_mini_split(shared_data, tmp_path):
    root = shared_data / "diar_mini"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    for part in ("dev", "test"):
        make_diarization_data.main(["rttm-folder", "--diar-mini-part", part, str(root),
                                    str(tmp_path / part)])
    ref = {p: read_rttm(tmp_path / p / "rttm") for p in ("dev", "test")}
    assert sorted(ref["dev"]) == sorted(DIAR_MINI_SPLIT["dev"]) and len(ref["test"]) == 9
    speakers = {p: {t.speaker for turns in r.values() for t in turns} for p, r in ref.items()}
    assert not speakers["dev"] & speakers["test"]  # no test speaker is heard in tuning
    assert read_kv(tmp_path / "test" / "reco2num_spk")["ami_EN2002a"] == "4"
    assert read_rttm(root / "ami_EN2002a.rttm")["ami_EN2002a"] == ref["test"]["ami_EN2002a"]
