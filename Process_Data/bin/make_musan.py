"""Prepare MUSAN music/noise/speech data dirs (see ``Process_Data.corpora.musan``).

Example:
    python -m Process_Data.bin.make_musan ../shared/data/musan_mini data
"""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    """Parse ``argv`` and prepare the data dirs; returns the exit status."""
    from Process_Data.bin.prep_cli import prep_main
    from Process_Data.corpora.musan import prepare_musan

    vocals = ("--use-vocals", {"action": "store_true", "help": "keep music with vocals"})
    return prep_main(argv, "make_musan", __doc__, prepare_musan, "MUSAN root", "musan", [vocals])


if __name__ == "__main__":
    sys.exit(main())
