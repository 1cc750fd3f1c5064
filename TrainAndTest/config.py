"""Training configuration: YAML with name + args pairs, dotted overrides, strict keys.

A config names each component and gives its arguments::

    model: ecapa_tdnn
    model_conf: {feat_dim: 80, embed_dim: 192, channels: 512}
    loss: aam_softmax
    loss_conf: {margin: 0.2, scale: 30}
    optimizer: adam
    optimizer_conf: {lr: 0.001}
    ...

Every top-level key and every key of the fixed sections (``train_conf``, ``scheduler_conf``)
is checked against :data:`DEFAULTS`, ``data_conf`` against the chosen data source and
``frontend`` by the front end; a misspelt key is an error that names it and lists the valid
ones. Component arguments (``model_conf``, ``loss_conf``,
``pooling_conf``, ``optimizer_conf``) are checked by the component's constructor when it is
built. Overrides come from the command line as ``--train_conf.epochs 3`` and are parsed as
YAML scalars, so ``3`` is an int and ``true`` a bool.

Example:
    >>> cfg = resolve_config({"model": "xvector_tdnn"}, ["--train_conf.epochs", "3"])
    >>> cfg["train_conf"]["epochs"], cfg["model"]
    (3, 'xvector_tdnn')
    >>> resolve_config({"modle": "xvector_tdnn"}, [])
    Traceback (most recent call last):
    ...
    TrainAndTest.config.ConfigError: unknown config key 'modle'; valid keys: data, data_conf, ...
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence

import yaml


class ConfigError(ValueError):
    """A config file or override is invalid; the message names the key (and file)."""


#: Every valid top-level key with its default. ``None`` sections are free-form (component
#: arguments), dict sections are checked key by key.
DEFAULTS: Dict[str, Any] = {
    "model": "xvector_tdnn",
    "model_conf": {},
    "loss": "aam_softmax",
    "loss_conf": {},
    "optimizer": "adam",
    "optimizer_conf": {"lr": 0.001},
    "scheduler": "warmup_exponential",
    "scheduler_conf": {
        "warmup_epochs": 0.0,  # linear warm-up from warmup_start_factor * lr
        "warmup_start_factor": 0.1,
        "final_lr": None,  # exponential: lr decays to this at the last epoch (None: no decay)
        "step_size": 1,  # step: epochs between decays
        "gamma": 0.5,  # step: decay factor
        "min_lr": 0.0,  # cosine: floor
        "cycle_epochs": 2.0,  # cyclic: length of one triangle
        "max_lr_factor": 10.0,  # cyclic / one_cycle: peak = lr * factor
    },
    # None, or MarginScheduler arguments in epochs: {start, end, initial_margin, final_margin,
    # shape} (final_margin defaults to loss_conf's margin; A-softmax's margin multiplies, so it
    # needs initial_margin: 1)
    "margin_scheduler": None,
    "data": "egs",
    # Arguments of the data source named by ``data`` (TrainAndTest.data: egs, onthefly,
    # synthetic), checked against it: egs_dir, shuffle_buffer (egs); data_dir, source,
    # min_frames, max_frames, num_repeats (onthefly); num_workers, augment (both).
    "data_conf": {
        "batch_size": 128,  # global batch (all ranks together)
    },
    # The front end (Process_Data.features.frontend.Frontend): feature, feature_config (a
    # Kaldi option file, expanded into feature_args when the config is resolved),
    # feature_args, vad, vad_config, vad_args, cmn (sliding|utterance|chunk|none),
    # cmn_window. Egs training takes it from <egs_dir>/info/frontend.yaml (a section given
    # here must agree); on-the-fly training needs it. The trainer writes the one it used
    # into <exp>/config.yaml, every checkpoint and final.pt.
    "frontend": None,
    "train_conf": {
        "epochs": 10,
        "seed": 1,
        "precision": "fp32",  # fp32 | bf16 | fp16 (fp16 uses a GradScaler)
        "grad_clip": 5.0,  # max gradient norm; 0 disables
        "compile": False,  # torch.compile the model
        "channels_last": False,
        "ema_decay": 0.0,  # > 0 keeps an exponential moving average of the weights
        "keep_last": 3,  # checkpoints kept
        "average_last": 3,  # final.pt = average of the last N epoch checkpoints
        "log_interval": 50,  # batches between log lines
        "eer_every": 0,  # epochs between EER checks on eer_trials (0: never)
        "eer_trials": None,
        "eer_data_dir": None,
        "sync_batchnorm": False,
        "init_checkpoint": None,  # fine-tuning: start from these model/loss weights
    },
}

_STRICT_SECTIONS = ("train_conf", "scheduler_conf")


def _check_keys(cfg: Mapping[str, Any], where: str = "") -> None:
    for key, value in cfg.items():
        if key not in DEFAULTS:
            raise ConfigError(
                f"{where}unknown config key '{key}'; valid keys: {', '.join(sorted(DEFAULTS))}"
            )
        if key in _STRICT_SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}'{key}' must be a mapping, got {value!r}")
            for sub in value:
                if sub not in DEFAULTS[key]:
                    raise ConfigError(
                        f"{where}unknown key '{key}.{sub}'; valid keys: "
                        f"{', '.join(sorted(DEFAULTS[key]))}"
                    )


def deep_merge(base: Dict[str, Any], update: Mapping[str, Any]) -> Dict[str, Any]:
    """Return ``base`` updated recursively by ``update`` (mappings merge, others replace)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_overrides(args: Sequence[str]) -> Dict[str, Any]:
    """``["--a.b", "3", "--c=x"]`` -> ``{"a": {"b": 3}, "c": "x"}`` (values parsed as YAML)."""
    out: Dict[str, Any] = {}
    i = 0
    args = list(args)
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise ConfigError(f"override '{arg}' must look like --section.key value")
        if "=" in arg:
            key, raw = arg[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(args):
                raise ConfigError(f"override '{arg}' needs a value")
            key, raw = arg[2:], args[i + 1]
            i += 2
        value = yaml.safe_load(raw) if raw != "" else ""
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override '--{key}' conflicts with an earlier override")
        node[parts[-1]] = value
    return out


def resolve_config(cfg: Mapping[str, Any], overrides: Sequence[str] = (), where: str = "") -> Dict:
    """Defaults <- ``cfg`` <- overrides, with every key checked.

    Args:
        cfg: the parsed YAML.
        overrides: command-line ``--key.sub value`` pairs.
        where: prefix for error messages (the file name).
    """
    _check_keys(cfg, where)
    over = parse_overrides(overrides)
    _check_keys(over, "command line: ")
    resolved = deep_merge(deep_merge(DEFAULTS, cfg), over)
    # A component switched by name does not inherit the arguments meant for the old one.
    for name in ("model", "loss", "optimizer"):
        if name in over and f"{name}_conf" not in over and over[name] != cfg.get(name):
            resolved[f"{name}_conf"] = {}
    _check_components(resolved, where)
    from TrainAndTest.data import check_data_conf, data_conf_keys

    if "data" in over and over["data"] != cfg.get("data", DEFAULTS["data"]):
        # the file's data_conf keys meant for the old source stay behind; the command
        # line's own keys are checked below like any other
        valid = data_conf_keys(resolved["data"])
        given = over.get("data_conf") or {}
        resolved["data_conf"] = {k: v for k, v in resolved["data_conf"].items()
                                 if k in valid or k in given}
    try:
        check_data_conf(resolved["data"], resolved["data_conf"])
    except (KeyError, ValueError) as e:
        raise ConfigError(f"{where}{str(e).strip(chr(34))}") from None
    if resolved["frontend"]:
        from Process_Data.features.frontend import Frontend, FrontendError

        if not isinstance(resolved["frontend"], Mapping):
            raise ConfigError(f"{where}'frontend' must be a mapping, got {resolved['frontend']!r}")
        try:
            resolved["frontend"] = Frontend.from_config(resolved["frontend"]).to_dict()
        except FrontendError as e:
            raise ConfigError(f"{where}{e}") from None
    return resolved


def _check_components(cfg: Mapping[str, Any], where: str) -> None:
    """Model, loss and optimizer names and their ``*_conf`` keys, checked against the
    registries before anything is built (a misspelt key is a one-line ConfigError)."""
    from TrainAndTest.losses import LOSSES
    from TrainAndTest.models import MODELS
    from TrainAndTest.optim import OPTIMIZERS

    for name, registry, positional in (("model", MODELS, 0), ("loss", LOSSES, 0),
                                       ("optimizer", OPTIMIZERS, 1)):
        conf = cfg.get(f"{name}_conf") or {}
        if not isinstance(conf, Mapping):
            raise ConfigError(f"{where}'{name}_conf' must be a mapping, got {conf!r}")
        try:
            registry.check_kwargs(cfg[name], conf, positional=positional)
        except KeyError as e:
            raise ConfigError(f"{where}{name}: {str(e).strip(chr(34))}") from None
        except ValueError as e:
            raise ConfigError(f"{where}{e}") from None


def load_config(path: str, overrides: Sequence[str] = ()) -> Dict[str, Any]:
    """Read a YAML config file and resolve it (see :func:`resolve_config`)."""
    try:
        with open(path, encoding="utf-8") as f:
            cfg = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None
    if not isinstance(cfg, Mapping):
        raise ConfigError(f"{path}: top level must be a mapping")
    return resolve_config(cfg, overrides, where=f"{path}: ")


def save_config(cfg: Mapping[str, Any], path: Path) -> None:
    """Write the resolved config as YAML, atomically."""
    from Process_Data.data_dir import atomic_write

    with atomic_write(path) as f:
        yaml.safe_dump(dict(cfg), f, sort_keys=False, default_flow_style=False)


def config_list(cfg: Mapping[str, Any]) -> List[str]:
    """Flattened ``section.key=value`` lines (for logs)."""
    lines = []
    for key, value in cfg.items():
        if isinstance(value, Mapping):
            lines += [f"{key}.{k}={v}" for k, v in value.items()]
        else:
            lines.append(f"{key}={value}")
    return lines
