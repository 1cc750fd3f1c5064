"""RESULTS.md provenance: every field present, Vox1 cleaned/original lists told apart,
duplicates named, a missing front end said so, and the results table kept."""

import pytest
import yaml

from TrainAndTest.bin import provenance as provenance_bin
from TrainAndTest.metrics.provenance import (
    count_lines,
    data_size,
    format_frontend,
    provenance_lines,
    trial_list_lines,
)
from TrainAndTest.metrics.results import _parse, set_preamble, update_results


def _data_dir(path, utt2dur=True):
    path.mkdir(parents=True)
    utts = [f"spk{s}-u{u}" for s in range(3) for u in range(4)]
    (path / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in utts))
    if utt2dur:
        (path / "utt2dur").write_text("".join(f"{u} 300\n" for u in utts))
    (path / "utt2num_frames").write_text("".join(f"{u} 1500\n" for u in utts))
    return path


def test_data_size_prefers_utt2dur_and_falls_back_to_frames(tmp_path):
    assert data_size(_data_dir(tmp_path / "a")) == "3 speakers, 12 utterances, 1.00 h"
    assert data_size(_data_dir(tmp_path / "b", utt2dur=False)) == "3 speakers, 12 utterances, 0.05 h"
    with pytest.raises(FileNotFoundError, match="utt2spk"):
        data_size(tmp_path / "missing")


def test_count_lines_counts_a_last_line_without_newline(tmp_path):
    (tmp_path / "t").write_text("a\nb")
    assert count_lines(tmp_path / "t") == 2


def test_vox1_cleaned_and_original_lists_cannot_be_confused(tmp_path):
    d = tmp_path / "voxceleb1_test"
    d.mkdir()
    (d / "trials_vox1_o_clean").write_text("a b target\n")
    (d / "trials_vox1_o").write_text("a b target\na c nontarget\n")
    (d / "trials").write_text("a b target\n")
    lines = trial_list_lines([d / "trials_vox1_o_clean", d / "trials_vox1_o", d / "trials"])
    assert "VoxCeleb1-O cleaned (veri_test2.txt): 1 lines" in lines[0]
    assert "VoxCeleb1-O original (veri_test.txt): 2 lines" in lines[1]
    assert lines[0].split("sha256 ")[1] != lines[1].split("sha256 ")[1]
    assert lines[2].endswith("(same content as voxceleb1_test/trials_vox1_o_clean)")


def test_frontend_line():
    fe = {"feature": "mfcc", "feature_args": ["--num-ceps=30"], "sample_rate": 16000,
          "vad": True, "vad_args": ["--vad-energy-threshold=5.5"], "cmn": "none", "cmn_window": 0}
    assert format_frontend(fe) == (
        "mfcc --num-ceps=30, 16000 Hz, VAD on --vad-energy-threshold=5.5, CMN none")


def test_block_with_and_without_recorded_front_end(tmp_path):
    cfg = tmp_path / "demo.yaml"
    cfg.write_text("model: x\n")
    exp = tmp_path / "exp"
    exp.mkdir()
    train = _data_dir(tmp_path / "train")
    trials = tmp_path / "test" / "trials"
    trials.parent.mkdir()
    trials.write_text("a b target\n")
    lines = provenance_lines(cfg, exp, train, [trials], overrides="--train_conf.epochs 1",
                             notes=["skipped: trial list x/trials_vox1_e (not in the corpus)"])
    text = "\n".join(lines)
    assert "- front end: (not recorded)" in text
    assert "- git: " in text and ("(clean)" in text or "(dirty" in text or "unknown" in text)
    assert "- config: demo.yaml" in text and "overrides: --train_conf.epochs 1" in text
    assert "- training data: train: 3 speakers, 12 utterances, 1.00 h" in text
    assert "  - test/trials: 1 lines, sha256 " in text
    assert "- machine (training not recorded; report): " in text and "torch " in text
    assert text.endswith("- skipped: trial list x/trials_vox1_e (not in the corpus)")
    (exp / "config.yaml").write_text(yaml.safe_dump({"frontend": {
        "feature": "fbank", "feature_args": ["--num-mel-bins=80"], "sample_rate": 16000,
        "vad": False, "cmn": "sliding", "cmn_window": 300}}))
    (exp / "environment.yaml").write_text(yaml.safe_dump({
        "git_sha": "0123abc", "torch": "2.13.0", "host": "h", "platform": "Linux",
        "cuda_devices": ["NVIDIA H200"], "world_size": 2, "python": "3.11"}))
    text = "\n".join(provenance_lines(cfg, exp, train, [trials]))
    assert ("- front end: fbank --num-mel-bins=80, 16000 Hz, VAD off, CMN sliding (window 300)"
            in text)
    assert "model trained at 0123abc" in text
    assert "- machine (training): host h (Linux), GPUs: NVIDIA H200, 2 process(es), torch 2.13.0" in text


def test_entry_point_keeps_the_table_and_rows_keep_the_block(tmp_path):
    cfg = tmp_path / "demo.yaml"
    cfg.write_text("model: x\n")
    train = _data_dir(tmp_path / "train")
    trials = tmp_path / "test" / "trials"
    trials.parent.mkdir()
    trials.write_text("a b target\n")
    results = tmp_path / "exp" / "RESULTS.md"
    update_results(results, {"system": "cosine", "trials": "test/trials", "EER%": "1.00"})
    argv = [str(results), str(trials), "--config", str(cfg), "--exp-dir", str(tmp_path / "exp"),
            "--train-data", str(train)]
    assert provenance_bin.main(argv) == 0
    update_results(results, {"system": "plda", "trials": "test/trials", "EER%": "2.00"})
    text = results.read_text()
    assert text.startswith("# Results\n\n## Provenance\n")
    assert "## Scores" in text and text.index("## Provenance") < text.index("| system")
    assert [r["system"] for r in _parse(text)] == ["cosine", "plda"]
    with pytest.raises(ValueError, match="starts with '|'"):
        set_preamble(results, "| not a preamble")
    assert provenance_bin.main([str(results), str(tmp_path / "no_trials"), "--config", str(cfg),
                                "--exp-dir", str(tmp_path), "--train-data", str(train)]) == 1
