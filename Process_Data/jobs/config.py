"""Kaldi's job-backend config files (``conf/slurm.conf``, ``conf/queue.conf``).

The format, one directive a line (``#`` starts a comment)::

    command sbatch --export=PATH          # the submit command and its fixed arguments
    option mem=* --mem $0                 # --mem 4G  ->  --mem 4G   ($0 is the value)
    option mem=0                          # --mem 0   ->  nothing
    option gpu=* --gres=gpu:$0 -p gpu     # an option may add several arguments
    default gpu=0                         # the value used when the option is not given

An exact-value line (``option mem=0``) wins over the ``*`` line. An option given on the
command line that the config does not describe is an error, as in Kaldi.

Example:
    >>> cfg = parse_config_text("command sbatch\\noption mem=* --mem $0\\noption mem=0\\n")
    >>> cfg.command, cfg.option_args({"mem": "4G"}), cfg.option_args({"mem": "0"})
    (['sbatch'], ['--mem', '4G'], [])
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional

from Process_Data.jobs.options import UsageError

_OPTION_RE = re.compile(r"^option\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)(?:\s+(.*))?$")
_DEFAULT_RE = re.compile(r"^default\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$")


@dataclass
class BackendConfig:
    """A parsed backend config.

    Args:
        path: where it came from (for messages).
        command: the submit command and its fixed arguments.
        star: option name -> argument template with ``$0`` (from ``option name=* ...``).
        exact: option name -> {value: arguments} (from ``option name=value ...``).
        defaults: option name -> value used when the option is not given.
    """

    path: str
    command: List[str] = field(default_factory=list)
    star: Dict[str, List[str]] = field(default_factory=dict)
    exact: Dict[str, Dict[str, List[str]]] = field(default_factory=dict)
    defaults: Dict[str, str] = field(default_factory=dict)

    def names(self) -> List[str]:
        """The option names the config describes, sorted."""
        return sorted(set(self.star) | set(self.exact) | set(self.defaults))

    def option_args(self, given: Mapping[str, str], skip: tuple = ()) -> List[str]:
        """Scheduler arguments for the given options plus the config's defaults.

        Args:
            given: option name (underscored) -> value from the command line.
            skip: names handled elsewhere (not mapped, not checked).

        Returns:
            The arguments, in config-name order of first appearance on the command line,
            then defaults.

        Raises:
            UsageError: an option or value the config does not describe.
        """
        values = dict(given)
        for name, value in self.defaults.items():
            values.setdefault(name, value)
        out: List[str] = []
        for name, value in values.items():
            if name in skip:
                continue
            if value in self.exact.get(name, {}):
                out.extend(self.exact[name][value])
            elif name in self.star:
                out.extend(word.replace("$0", value) for word in self.star[name])
            elif name in self.exact:
                raise UsageError(
                    f"--{name.replace('_', '-')} {value}: {self.path} only allows "
                    f"{', '.join(sorted(self.exact[name]))}"
                )
            else:
                raise UsageError(
                    f"option --{name.replace('_', '-')} is not described in {self.path} "
                    f"(it describes: {' '.join(self.names()) or 'nothing'})"
                )
        return out


def parse_config_text(text: str, path: str = "<config>") -> BackendConfig:
    """Parse config text; see the module docstring for the format.

    Args:
        text: the file's contents.
        path: the file name used in error messages.

    Returns:
        The :class:`BackendConfig`.

    Raises:
        UsageError: naming ``path:line`` for a line that is not a directive, or a config
            without a ``command`` line.
    """
    cfg = BackendConfig(path)
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if line.startswith("command ") or line == "command":
                words = shlex.split(line)[1:]
                if not words:
                    raise UsageError("'command' needs the submit program")
                cfg.command = words
                continue
            match = _OPTION_RE.match(line)
            if match:
                name, value, rest = match.group(1), match.group(2), match.group(3) or ""
                words = shlex.split(rest)
                if value == "*":
                    cfg.star[name] = words
                else:
                    cfg.exact.setdefault(name, {})[value] = words
                continue
            match = _DEFAULT_RE.match(line)
            if match:
                cfg.defaults[match.group(1)] = match.group(2)
                continue
            raise UsageError(
                "expected 'command ...', 'option name=value|* args' or 'default name=value'"
            )
        except (UsageError, ValueError) as err:
            raise UsageError(f"{path}:{lineno}: {err}: {raw.strip()!r}") from None
    if not cfg.command:
        raise UsageError(f"{path}: no 'command' line (e.g. 'command sbatch --export=PATH')")
    return cfg


def read_config(path: str) -> BackendConfig:
    """Read and parse a config file.

    Raises:
        UsageError: the file cannot be read, or a line is bad (``path:line``).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise UsageError(f"cannot read config file {path}: {err.strerror}") from None
    return parse_config_text(text, path)


def default_config_path(name: str) -> Optional[str]:
    """The repository's ``conf/<name>`` (e.g. ``slurm.conf``), or None when it is absent."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.normpath(os.path.join(here, os.pardir, os.pardir, "conf", name))
    return path if os.path.isfile(path) else None
