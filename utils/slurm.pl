#!/usr/bin/env python3
"""slurm.pl: run a Kaldi-style job array on Slurm as one 'sbatch --array' (site options: conf/slurm.conf).

Usage: slurm.pl [--max-jobs-run N] [--num-threads N] [--mem 4G] [--gpu N] [--config conf]
             [--pick failed|all] JOB=1:N log/task.JOB.log command args with JOB
Run without arguments for the full usage. The logic lives in Process_Data.jobs (standard
library only, so this runs on a bare system python3).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), os.pardir))

from Process_Data.jobs.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main("slurm.pl", sys.argv[1:]))
