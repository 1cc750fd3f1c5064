"""Kaldi-style job backends: ``run.pl`` (local), ``slurm.pl`` (sbatch) and ``queue.pl`` (SGE qsub).

All three share Kaldi's command line::

    run.pl [--max-jobs-run N] [--num-threads N] [--mem 4G] [--gpu N] [--config conf]
           [--pick failed|all] JOB=1:N log/task.JOB.log command args with JOB

and the same log shape (``# <command>``, ``# Started at ...`` first; ``# Accounting: time=..
threads=..`` and ``# Ended (code <rc>) at ..., elapsed time <s> seconds`` last), so a recipe
switches backend in ``cmd.sh`` alone. The modules:

- :mod:`.options`: the command line and the job array it describes (:class:`JobArray`).
- :mod:`.config`: Kaldi's backend config files (``command ...``, ``option mem=* --mem $0``).
- :mod:`.logs`: log header/trailer and reading which jobs already succeeded.
- :mod:`.local`: running the array on this machine (``run.pl``).
- :mod:`.batch`: what slurm.pl and queue.pl share (task script, waiting for done files).
- :mod:`.slurm`, :mod:`.sge`: the two schedulers.
- :mod:`.cli`: the entry point used by ``utils/*.pl``.
- :mod:`.nodelist`, :mod:`.torchrun`: Slurm node lists, and the per-node torchrun launcher
  that ``slurm.pl --nodes N`` runs under ``srun`` for multi-node training.

Standard library only: the backends must run on a bare system Python.
"""
