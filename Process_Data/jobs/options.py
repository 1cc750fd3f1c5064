"""The Kaldi job command line and the job array it describes.

``run.pl [options] [JOB=1:N] log/task.JOB.log command args with JOB``:

- options come first, as ``--name value`` or ``--name=value`` (hyphens map to underscores);
  a single-dash option (``-q all.q``, or ``-V`` alone) is handed to the scheduler as is;
- ``JOB=1:N`` (any identifier: ``TASK=1:4``; or ``JOB=3`` for one job) names the variable
  that is replaced by the job id in the log name and anywhere in the command, as plain
  text substitution like Kaldi's;
- the command words are joined as Kaldi does (a word with white space is quoted) and the
  result runs through ``bash -c``, so ``"a | b"`` is one word while ``a '|' b`` is a pipe.

Example:
    >>> opts, jobs = parse_command_line(
    ...     ["--max-jobs-run", "2", "JOB=1:3", "log/t.JOB.log", "echo", "part JOB"], "run.pl")
    >>> opts.max_jobs_run, jobs.ids(), jobs.log_for(2), jobs.command_for(2)
    (2, [1, 2, 3], 'log/t.2.log', 'echo "part 2"')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

#: Options every backend understands (underscored names). run.pl accepts exactly these
#: (``mem``, ``time`` and ``config`` only matter to the schedulers); slurm.pl and queue.pl
#: also accept whatever their config file describes.
COMMON_OPTIONS = (
    "config", "gpu", "max_jobs_run", "mem", "nodes", "num_threads", "pick", "time",
)

_RANGE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\d+)(?::(\d+))?$")
_LOOKS_LIKE_RANGE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


class UsageError(Exception):
    """A bad command line or config; the message names the option, argument or file:line."""


@dataclass
class JobOptions:
    """Options given before the job range.

    Args:
        values: option name (underscored) -> value, in command-line order.
        passthrough: single-dash scheduler options, kept verbatim (``["-q", "all.q"]``).
    """

    values: Dict[str, str] = field(default_factory=dict)
    passthrough: List[str] = field(default_factory=list)

    def _int(self, name: str, default: Optional[int], minimum: int) -> Optional[int]:
        if name not in self.values:
            return default
        text = self.values[name]
        if not re.fullmatch(r"\d+", text) or int(text) < minimum:
            raise UsageError(
                f"--{name.replace('_', '-')} needs an integer >= {minimum}, got '{text}'"
            )
        return int(text)

    @property
    def max_jobs_run(self) -> Optional[int]:
        """``--max-jobs-run N``: at most N jobs at once (None: no explicit cap)."""
        return self._int("max_jobs_run", None, 1)

    @property
    def num_threads(self) -> int:
        """``--num-threads N``: CPU threads each job uses (default 1)."""
        return self._int("num_threads", 1, 1)

    @property
    def gpu(self) -> int:
        """``--gpu N``: GPUs each job uses (default 0)."""
        return self._int("gpu", 0, 0)

    @property
    def nodes(self) -> Optional[int]:
        """``--nodes N``: run the command once on each of N nodes (None: not given).

        Given (even as 1), the schedulers start the command through their parallel launcher
        (``srun``), one task per node; run.pl accepts only 1.
        """
        return self._int("nodes", None, 1)

    @property
    def pick(self) -> str:
        """``--pick failed|all``: rerun only jobs whose log does not end in success, or all."""
        value = self.values.get("pick", "all")
        if value not in ("failed", "all"):
            raise UsageError(f"--pick must be 'failed' or 'all', got '{value}'")
        return value

    @property
    def config(self) -> Optional[str]:
        """``--config file``: the backend config (schedulers only; None: the default)."""
        return self.values.get("config")

    def check(self) -> None:
        """Validate every typed option now, so a bad value fails before anything runs.

        Raises:
            UsageError: naming the bad option.
        """
        _ = (self.max_jobs_run, self.num_threads, self.gpu, self.nodes, self.pick)


@dataclass
class JobArray:
    """A command to run once per job id, each with its own log file.

    Args:
        var: the job variable (``"JOB"``), or None for the single-job form.
        start, end: the inclusive id range (``1, 4`` for ``JOB=1:4``).
        log_template: the log path with the variable still in it.
        command: the joined command (Kaldi quoting) with the variable still in it.
    """

    var: Optional[str]
    start: int
    end: int
    log_template: str
    command: str

    def ids(self) -> List[int]:
        """All job ids, in order."""
        return list(range(self.start, self.end + 1))

    def _subst(self, text: str, job_id: int) -> str:
        return text.replace(self.var, str(job_id)) if self.var else text

    def log_for(self, job_id: int) -> str:
        """The log path of one job."""
        return self._subst(self.log_template, job_id)

    def command_for(self, job_id: int) -> str:
        """The shell command of one job."""
        return self._subst(self.command, job_id)


def kaldi_join(words: Iterable[str]) -> str:
    """Join command words into one shell string as Kaldi's run.pl does.

    A word without white space is kept as is (so ``|`` and ``>`` stay shell syntax); one with
    white space is wrapped in single quotes if it contains a double quote, else in double
    quotes.

    Example:
        >>> kaldi_join(["copy-feats", "ark:a.ark", "ark,t:- | head", 'say "hi" now'])
        'copy-feats ark:a.ark "ark,t:- | head" \\'say "hi" now\\''
    """
    out = []
    for word in words:
        if word and not re.search(r"\s", word):
            out.append(word)
        elif '"' in word:
            out.append(f"'{word}'")
        else:
            out.append(f'"{word}"')
    return " ".join(out)


def parse_command_line(
    argv: List[str], prog: str, allowed: Optional[Iterable[str]] = COMMON_OPTIONS
) -> Tuple[JobOptions, JobArray]:
    """Parse ``[options] [JOB=a:b] log command...``.

    Args:
        argv: the arguments after the program name.
        prog: the program name for messages (``"run.pl"``).
        allowed: valid option names (underscored); None accepts any ``--name value`` (the
            schedulers check them against their config afterwards).

    Returns:
        ``(options, job_array)``.

    Raises:
        UsageError: unknown option, missing value, bad range, missing log or command, or a
            range whose log name does not contain the variable.
    """
    args = list(argv)
    opts = JobOptions()
    allowed_set = None if allowed is None else set(allowed)
    while args and args[0].startswith("-") and args[0] not in ("-", "--"):
        switch = args.pop(0)
        if switch.startswith("--"):
            name, eq, value = switch[2:].partition("=")
            name = name.replace("-", "_")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise UsageError(f"bad option '{switch}'")
            if allowed_set is not None and name not in allowed_set:
                raise UsageError(
                    f"unknown option --{name.replace('_', '-')} "
                    f"(valid: {' '.join('--' + n.replace('_', '-') for n in sorted(allowed_set))})"
                )
            if not eq:
                if not args:
                    raise UsageError(f"option {switch} needs a value")
                value = args.pop(0)
            opts.values[name] = value
        elif switch == "-V":
            opts.passthrough.append(switch)
        else:
            if not args:
                raise UsageError(f"option {switch} needs a value")
            opts.passthrough.extend([switch, args.pop(0)])
    if args and args[0] == "--":
        args.pop(0)
    opts.check()

    var, start, end = None, 1, 1
    if args and _LOOKS_LIKE_RANGE_RE.match(args[0]):
        match = _RANGE_RE.match(args[0])
        if not match:
            raise UsageError(
                f"bad job range '{args[0]}' (expected e.g. JOB=1:4, or JOB=1 for one job)"
            )
        var, start = match.group(1), int(match.group(2))
        end = int(match.group(3)) if match.group(3) is not None else start
        if start > end:
            raise UsageError(f"bad job range '{args[0]}': start {start} > end {end}")
        args.pop(0)
    if not args:
        raise UsageError("missing the log file argument")
    log_template = args.pop(0)
    if not args:
        raise UsageError(f"missing the command to run after the log file '{log_template}'")
    if var is not None and end > start and var not in log_template:
        raise UsageError(
            f"{end - start + 1} jobs would share one log file '{log_template}': "
            f"put {var} in the log name (e.g. log/task.{var}.log)"
        )
    return opts, JobArray(var, start, end, log_template, kaldi_join(args))
