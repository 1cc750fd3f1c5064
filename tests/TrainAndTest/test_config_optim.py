import pytest
import torch

from TrainAndTest.config import ConfigError, load_config, parse_overrides, resolve_config
from TrainAndTest.optim import SCHEDULERS, build_optimizer, build_scheduler


def test_overrides_are_typed_and_deep_merged():
    assert parse_overrides(["--a.b", "3", "--c=true", "--d.e.f", "x"]) == {
        "a": {"b": 3}, "c": True, "d": {"e": {"f": "x"}}
    }
    cfg = resolve_config({"train_conf": {"epochs": 4, "seed": 7}}, ["--train_conf.epochs", "2"])
    assert cfg["train_conf"]["epochs"] == 2 and cfg["train_conf"]["seed"] == 7
    assert cfg["train_conf"]["precision"] == "fp32"  # default kept


def test_unknown_keys_are_errors_naming_the_key(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model: tdnn\ntrain_conf:\n  epohcs: 3\n")
    with pytest.raises(ConfigError, match=r"c.yaml: unknown key 'train_conf.epohcs'; valid keys: "):
        load_config(str(p))
    with pytest.raises(ConfigError, match=r"command line: unknown config key 'modle'"):
        resolve_config({}, ["--modle", "x"])
    p.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(str(p))


def test_switching_component_drops_its_old_arguments():
    cfg = resolve_config({"model": "ecapa_tdnn", "model_conf": {"channels": 8}},
                         ["--model", "xvector_tdnn"])
    assert cfg["model"] == "xvector_tdnn" and cfg["model_conf"] == {}


def lrs(name, conf, epochs=4, steps=2):
    p = [torch.nn.Parameter(torch.zeros(1))]
    opt = build_optimizer("sgd", p, {"lr": 1.0})
    sched = build_scheduler(name, opt, conf, epochs, steps)
    out = []
    for _ in range(epochs * steps):
        out.append(round(sched.get_last_lr()[0], 6))
        opt.step()
        sched.step()
    return out


def test_schedules_known_values():
    assert lrs("step", {"step_size": 2, "gamma": 0.1}) == [1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1]
    warm = lrs("constant", {"warmup_epochs": 1, "warmup_start_factor": 0.0})
    assert warm == [0.0, 0.5, 1, 1, 1, 1, 1, 1]
    expo = lrs("warmup_exponential", {"final_lr": 0.01}, epochs=2, steps=1)
    assert expo == [1.0, 0.1]
    cos = lrs("cosine", {"min_lr": 0.0}, epochs=2, steps=2)
    assert cos == [1.0, 0.853553, 0.5, 0.146447]
    assert max(lrs("cyclic", {"cycle_epochs": 2, "max_lr_factor": 3})) == 3.0
    assert set(SCHEDULERS.names()) >= {"cosine", "cyclic", "one_cycle", "step", "warmup_exponential"}


def test_bad_optimizer_conf_names_optimizer():
    with pytest.raises(ValueError, match="optimizer 'adam': bad optimizer_conf"):
        build_optimizer("adam", [torch.nn.Parameter(torch.zeros(1))], {"lrr": 1})
    with pytest.raises(KeyError, match="unknown optimizer 'lamb'; valid names: adam, adamw, sgd"):
        build_optimizer("lamb", [], {})
