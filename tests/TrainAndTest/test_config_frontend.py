"""Config checks of this redesign: data_conf keys per data source, the frontend section,
and the dry run of every metric loss (speaker-major synthetic batches)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from TrainAndTest.config import ConfigError, resolve_config

METRIC_LOSSES = ["ge2e", "triplet", "contrastive", "prototypical", "angular_prototypical",
                 "softmax_angular_prototypical"]


def test_data_conf_key_of_another_source_is_an_error_listing_the_valid_keys():
    with pytest.raises(ConfigError, match=r"unknown data_conf key 'shuffle_bufer' for data "
                                          r"source 'egs'; valid keys: augment, batch_size, "
                                          r"batch_utts_per_speaker, egs_dir, num_workers, "
                                          r"shuffle_buffer"):
        resolve_config({"data": "egs", "data_conf": {"shuffle_bufer": 10}})
    with pytest.raises(ConfigError, match="unknown data_conf key 'cmn_window' for data source 'onthefly'"):
        resolve_config({"data": "onthefly", "data_conf": {"cmn_window": 300}})


def test_switching_the_source_on_the_command_line_drops_the_old_sources_keys_only():
    cfg = resolve_config({"data": "egs", "data_conf": {"batch_size": 64, "shuffle_buffer": 10}},
                         ["--data", "onthefly", "--data_conf.data_dir", "data/x"])
    assert cfg["data_conf"] == {"batch_size": 64, "data_dir": "data/x"}
    with pytest.raises(ConfigError, match="'egs_dir' for data source 'onthefly'"):
        resolve_config({"data": "egs"}, ["--data", "onthefly", "--data_conf.egs_dir", "x"])


def test_frontend_section_is_expanded_and_checked(tmp_path):
    conf = tmp_path / "mfcc.conf"
    conf.write_text("# comment\n--num-ceps=20\n--num-mel-bins=24\n")
    cfg = resolve_config({"frontend": {"feature": "mfcc", "feature_config": str(conf),
                                       "cmn": "sliding", "cmn_window": 200, "vad": True}})
    fe = cfg["frontend"]
    assert fe["feature_args"] == ["--num-ceps=20", "--num-mel-bins=24"] and fe["dim"] == 20
    assert fe["vad"] is True and fe["cmn_window"] == 200 and "feature_config" not in fe
    with pytest.raises(ConfigError, match="frontend.vad: the energy VAD reads column 0"):
        resolve_config({"frontend": {"feature": "fbank", "vad": True}})
    with pytest.raises(ConfigError, match="unknown key 'cmn_windw'"):
        resolve_config({"frontend": {"feature": "fbank", "cmn_windw": 3}})
    with pytest.raises(ConfigError, match="frontend.cmn: 'mean' is not one of sliding"):
        resolve_config({"frontend": {"feature": "fbank", "cmn": "mean"}})


@pytest.mark.parametrize("loss", METRIC_LOSSES)
def test_dry_run_of_every_metric_loss(loss, repo, recipe_env):
    proc = subprocess.run(
        [sys.executable, "-m", "TrainAndTest.bin.train", "--config",
         str(repo / "conf/train/demo.yaml"), "--dry-run", "--loss", loss],
        env=recipe_env, capture_output=True, text=True, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("dry run ok: xvector_tdnn") and f"+ {loss}," in proc.stdout


@pytest.mark.parametrize("section,key,kind", [("model_conf", "chanels", "model 'xvector_tdnn'"),
                                              ("loss_conf", "marg", "loss 'aam_softmax'"),
                                              ("optimizer_conf", "lrr", "optimizer 'adam'")])
def test_misspelt_component_key_is_a_one_line_config_error(section, key, kind):
    with pytest.raises(ConfigError) as err:
        resolve_config({"model": "xvector_tdnn", section: {key: 1}}, where="x.yaml: ")
    msg = str(err.value)
    assert msg.startswith(f"x.yaml: unknown {section} key '{key}' for {kind}; valid keys: ")
    assert "\n" not in msg
    with pytest.raises(ConfigError, match="x.yaml: model: unknown model 'xvec'; valid names: "):
        resolve_config({"model": "xvec"}, where="x.yaml: ")
