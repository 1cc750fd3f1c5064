"""The built-in demo corpus: counts, layout, trials, determinism."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
import soundfile as sf

from Process_Data.corpora.demo import draw_speakers, make_demo_corpus, make_text

TINY = dict(num_speakers=4, utts_per_speaker=3, num_test_speakers=2, num_target=2,
            num_nontarget=2)  # fmt: skip


def _files(root: Path):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "corpus"
    info = make_demo_corpus(out, seed=7, nj=2, log=lambda *_: None, **TINY)
    return out, info


def test_counts_and_layout(tiny):
    out, info = tiny
    assert info["speakers"] == 4 and info["utterances"] == 12
    wavs = sorted(out.glob("wav/*/*/*.wav"))
    assert len(wavs) == 12
    assert len({w.parts[-3] for w in wavs}) == 4
    for w in wavs:
        i = sf.info(str(w))
        assert (i.samplerate, i.channels, i.subtype) == (16000, 1, "PCM_16")
        assert 0.8 < i.duration < 8.0
    rows = list(csv.DictReader(open(out / "meta.csv")))
    assert [r["speaker"] for r in rows] == ["demo0001", "demo0002", "demo0003", "demo0004"]
    assert sorted(r["set"] for r in rows) == ["dev", "dev", "test", "test"]
    assert all(r["utterances"] == "3" and r["gender"] in ("m", "f") for r in rows)


def test_trials_are_vox1_o_format_over_test_speakers(tiny):
    out, info = tiny
    test_spk = {r["speaker"] for r in csv.DictReader(open(out / "meta.csv")) if r["set"] == "test"}
    lines = (out / "trials" / "test.txt").read_text().splitlines()
    assert len(lines) == info["trials"] > 0
    labels = set()
    for line in lines:
        label, a, b = line.split()
        assert (out / "wav" / a).is_file() and (out / "wav" / b).is_file()
        assert a.split("/")[0] in test_spk and b.split("/")[0] in test_spk
        assert label == str(int(a.split("/")[0] == b.split("/")[0]))
        labels.add(label)
    assert labels == {"0", "1"}


def test_same_seed_same_bytes_any_nj_other_seed_differs(tiny, tmp_path):
    out, _ = tiny
    again = tmp_path / "again"
    make_demo_corpus(again, seed=7, nj=1, log=lambda *_: None, **TINY)
    assert _files(again) == _files(out)
    other = tmp_path / "other"
    make_demo_corpus(other, seed=8, nj=2, log=lambda *_: None, **TINY)
    a, b = _files(out), _files(other)
    assert a["wav/demo0001/s01/00001.wav"] != b.get("wav/demo0001/s01/00001.wav")


def test_rerun_same_options_is_a_no_op(tiny):
    out, _ = tiny
    before = {p: os.stat(p).st_mtime_ns for p in out.rglob("*.wav")}
    info = make_demo_corpus(out, seed=7, nj=2, log=lambda *_: None, **TINY)
    assert info["utterances"] == 12
    assert {p: os.stat(p).st_mtime_ns for p in out.rglob("*.wav")} == before


def test_default_speakers_are_distinct():
    profiles = draw_speakers(200, seed=0)
    assert len(profiles) == 200
    keys = {(p.voice, p.pitch, p.pitch_range, p.rate, p.warp_down) for p in profiles}
    assert len(keys) == 200
    assert {p.gender for p in profiles} == {"m", "f"}
    assert len({p.voice for p in profiles}) > 60
    assert all(2 <= len(p.sessions) <= 4 for p in profiles)


def test_texts_are_varied_and_seeded():
    import numpy as np

    texts = [make_text(np.random.default_rng(i)) for i in range(40)]
    assert len(set(texts)) == 40
    assert any(t.split()[0] in ("zero", "one", "two", "three", "four", "five", "six",
                                "seven", "eight", "nine") for t in texts)  # fmt: skip
    assert any(t.endswith(".") for t in texts)
    assert make_text(np.random.default_rng(3)) == texts[3]


def test_bad_counts_are_errors(tmp_path):
    with pytest.raises(ValueError, match="num-test-speakers"):
        make_demo_corpus(tmp_path / "x", num_speakers=3, num_test_speakers=3)
    assert not (tmp_path / "x").exists()


#: Voice variants with a "breath" line: their noise comes from espeak-ng's own generator,
#: which espeak_Initialize seeds from the clock (the cause of run-to-run differences).
BREATH_VOICES = ("en+f2", "en-us+Alicia", "en+victor", "en+sandro")

_SYNTH_SCRIPT = """
import hashlib, sys
from Process_Data.corpora.demo import _Espeak
e = _Espeak()
for voice in sys.argv[2:]:
    pcm = e.synth("The quiet river watched the garden.", voice, 160, 50, 50, int(sys.argv[1]))
    print(voice, len(pcm), hashlib.sha256(pcm.tobytes()).hexdigest())
"""


def _synth_fresh(seed: int):
    """Hash of each breath voice's audio, synthesised in a fresh process."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _SYNTH_SCRIPT, str(seed), *BREATH_VOICES],
                          capture_output=True, text=True, check=True)  # fmt: skip
    lines = proc.stdout.splitlines()
    assert len(lines) == len(BREATH_VOICES) and all(int(x.split()[1]) > 0 for x in lines)
    return lines


def test_breath_voices_are_seeded_not_clocked():
    """Fresh processes started in different seconds give the same audio for a seed (the
    clock seeded espeak-ng's generator before), and another seed gives other noise."""
    import time

    first = _synth_fresh(11)
    time.sleep(1.1)
    assert _synth_fresh(11) == first
    other = _synth_fresh(12)
    assert all(a != b for a, b in zip(first, other))
    # same lengths: only the noise differs, as in the corpus runs that differed
    assert [x.split()[1] for x in first] == [x.split()[1] for x in other]


def _hashes(root: Path):
    import hashlib

    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.mark.slow
def test_default_corpus_is_byte_identical_across_runs(tmp_path):
    """The whole default corpus of run.sh (200 speakers x 20 utterances, about 40 s a run on
    2 cores), made twice in fresh workers with another nj: every file has the same bytes.
    Before seeding espeak-ng's own generator, 24 speakers (the breath voices) differed."""
    a = make_demo_corpus(tmp_path / "a", nj=2, log=lambda *_: None)
    make_demo_corpus(tmp_path / "b", nj=1, log=lambda *_: None)
    assert a["speakers"] == 200 and a["utterances"] == 4000
    ha, hb = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert len(ha) > 4000
    differ = sorted({k.split("/")[1] for k in ha if k.startswith("wav/") and ha[k] != hb.get(k)})
    assert ha == hb, f"speakers whose audio differs: {differ}"
