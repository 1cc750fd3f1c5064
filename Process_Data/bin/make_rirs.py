"""Prepare RIRS_NOISES impulse-response data dirs (see ``Process_Data.corpora.rirs``).

Example:
    python -m Process_Data.bin.make_rirs ../shared/data/RIRS_NOISES_mini data
"""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dirs; returns the exit status."""
    from Process_Data.bin.prep_cli import prep_main
    from Process_Data.corpora.rirs import prepare_rirs

    sets = ("--sets", {"default": ["real", "simulated"], "type": lambda s: s.split(","),
                       "help": "comma-separated RIR sets (default: real,simulated)"})
    return prep_main(argv, "make_rirs", __doc__, prepare_rirs, "the RIRS_NOISES folder", "rirs",
                     [sets])


if __name__ == "__main__":
    sys.exit(main())
