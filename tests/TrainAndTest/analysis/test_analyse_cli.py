"""``TrainAndTest.bin.analyse`` and the other analysis entry points on a trained tiny model."""

from __future__ import annotations

import kaldiio
import numpy as np

from TrainAndTest.bin import analyse, attention_report, embedding_checks, gfa_weights


def test_analyse_writes_maps_overlays_and_curves(trained_exp, feats_dir, tmp_path, capsys):
    out = tmp_path / "out"
    rc = analyse.main([str(trained_exp), str(feats_dir), str(out), "--method",
                       "saliency,integrated_gradients,gradcam", "--steps", "16", "--curves",
                       "--curve-points", "6", "--max-utts", "3", "--plot-utts", "2"])
    assert rc == 0, capsys.readouterr().err
    feats = dict(kaldiio.load_scp(str(feats_dir / "feats.scp")))
    for m in ("saliency", "integrated_gradients", "gradcam"):
        maps = dict(kaldiio.load_scp(str(out / m / "saliency.scp")))
        assert len(maps) == 3
        for utt, mat in maps.items():
            assert mat.shape == feats[utt].shape
    assert len(list((out / "png").glob("*.png"))) == 2
    table = (out / "perturbation.md").read_text()
    for m in ("saliency", "integrated_gradients", "gradcam", "random"):
        assert f"| {m} |" in table
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    # speakers of the data dir are not training speakers: the top class is the target
    assert "not a training speaker" in capsys.readouterr().err


def test_analyse_single_method_and_verification_target(trained_exp, feats_dir, tmp_path):
    out = tmp_path / "out"
    assert analyse.main([str(trained_exp), str(feats_dir), str(out), "--method", "fullgrad",
                         "--target", "verification", "--utts", "spk1-utt0",
                         "--plot-utts", "0"]) == 0
    maps = dict(kaldiio.load_scp(str(out / "saliency.scp")))
    assert list(maps) == ["spk1-utt0"] and np.all(maps["spk1-utt0"] >= 0)


def test_trial_eer_under_deletion(trained_exp, feats_dir, tmp_path):
    utts = sorted(line.split()[0] for line in (feats_dir / "utt2spk").read_text().splitlines())
    trials = tmp_path / "trials"
    trials.write_text("".join(
        f"{a} {b} {'target' if a[:4] == b[:4] else 'nontarget'}\n"
        for a in utts for b in utts if a < b))
    out = tmp_path / "out"
    assert analyse.main([str(trained_exp), str(feats_dir), str(out), "--method", "saliency",
                         "--target", "verification", "--curves", "--curve-points", "3",
                         "--trials", str(trials), "--max-utts", "6", "--plot-utts", "0"]) == 0
    table = (out / "deletion_eer.md").read_text().splitlines()
    rows = {r.split("|")[1].strip(): r.split("|")[2:] for r in table[2:]}
    assert set(rows) == {"saliency", "random"}
    analysed = set(dict(kaldiio.load_scp(str(out / "saliency.scp"))))
    assert len(analysed) == 6
    lines = [ln.split() for ln in trials.read_text().splitlines()]
    assert int(rows["saliency"][3]) == sum(1 for _, b, _ in lines if b in analysed)
    for u in analysed:  # each is tested against its speaker and others
        assert {k for _, b, k in lines if b == u} == {"target", "nontarget"}
    assert (out / "deletion_eer.png").is_file()
    # utterances whose trials are all non-target cannot give an EER: said before any work
    assert analyse.main([str(trained_exp), str(feats_dir), str(out), "--curves", "--trials",
                         str(trials), "--utts", "spk0-utt0"]) == 1


def test_bad_input_messages(trained_exp, feats_dir, tmp_path, capsys):
    args = [str(trained_exp), str(feats_dir), str(tmp_path / "o")]
    assert analyse.main(args + ["--method", "smoothgrad"]) == 1
    err = capsys.readouterr().err
    assert "unknown method 'smoothgrad'; valid methods: attention, expected_integrated" in err
    assert analyse.main(args + ["--method", "gradcam", "--layer", "frame_layers.7"]) == 1
    assert "valid layers: frame_layers.0.conv" in capsys.readouterr().err
    assert analyse.main(args + ["--method", "attention"]) == 1
    assert "needs attentive pooling (asp, sap, mhasp)" in capsys.readouterr().err
    assert analyse.main(args + ["--target", "speakr"]) == 1
    assert "valid targets: speaker, verification" in capsys.readouterr().err
    assert analyse.main([str(tmp_path / "nope"), str(feats_dir), str(tmp_path / "o")]) == 1
    assert "no model at" in capsys.readouterr().err


def test_list_layers(trained_exp, capsys):
    assert analyse.main([str(trained_exp), "--list-layers"]) == 0
    names = capsys.readouterr().out.split()
    assert "frame_layers.0.conv" in names and "pooling" not in names


def test_gfa_weights_and_embedding_checks(trained_exp, feats_dir, tmp_path):
    out = tmp_path / "gfa"
    assert gfa_weights.main([str(trained_exp), str(feats_dir), str(out), "--max-utts", "4"]) == 0
    w = np.load(out / "freq_weights.npy")
    assert w.shape == (20,) and abs(w.mean() - 1) < 1e-5 and (w > 0).all()
    assert (out / "freq_weights.yaml").read_text().startswith("[")
    out = tmp_path / "emb"
    assert embedding_checks.main([str(trained_exp), str(out), "--data-dir", str(feats_dir)]) == 0
    text = (out / "embedding_checks.md").read_text()
    assert "trained prototypes" in text and "includes the utterance" in text
    for png in ("prototypes.png", "loss_bound.png", "inclusion_bias.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_attention_report_refuses_a_model_without_front_end(trained_exp, feats_dir, tmp_path,
                                                            capsys):
    assert attention_report.main([str(trained_exp), str(feats_dir), str(tmp_path / "a")]) == 1
    assert "needs a model with a recorded front end" in capsys.readouterr().err
