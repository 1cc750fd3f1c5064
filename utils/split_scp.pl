#!/usr/bin/env python3
"""split_scp.pl [--utt2spk=<utt2spk>] <in.scp> <out1.scp> ... <outN.scp>
   or: split_scp.pl -j <num-jobs> <job-id> [--one-based] [--utt2spk=<utt2spk>] <in.scp> [<out.scp>]

Kaldi's split_scp.pl: split <in.scp> into N consecutive parts balanced by line count; with
--utt2spk all lines of a speaker go to the same part (they must be contiguous). With -j
only part <job-id> (0-based, 1-based with --one-based) is written, to <out.scp> or stdout.
Outputs are written to temporary names and renamed. Fewer lines (speakers) than parts is
an error.
  e.g.: utils/split_scp.pl --utt2spk=data/train/utt2spk data/train/wav.scp wav.1.scp wav.2.scp
Runs on a bare system python3 (standard library only).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from Process_Data.data_dir import DataDirError, atomic_write  # noqa: E402
from Process_Data.data_ops.split import split_lines  # noqa: E402


def usage(msg=""):
    """Print an error (if any) and the usage; returns status 1."""
    print((f"split_scp.pl: {msg}\n" if msg else "") + __doc__, file=sys.stderr)
    return 1


def read_utt2spk(path):
    """utt -> spk from a utt2spk file, errors naming file and line."""
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                fields = line.split()
                if len(fields) != 2:
                    raise DataDirError(f"{path}:{lineno}: expected 'utt spk'")
                out[fields[0]] = fields[1]
    except OSError as e:
        raise DataDirError(f"{path}: cannot open ({e.strerror})") from None
    return out


def main(argv):
    """Parse Kaldi-style arguments and split; returns the exit status."""
    job = num_jobs = None
    one_based = False
    utt2spk_path = None
    while argv and argv[0].startswith("-") and argv[0] != "-":
        a = argv[0]
        if a == "-j" and len(argv) > 2:
            try:
                num_jobs, job = int(argv[1]), int(argv[2])
            except ValueError:
                return usage(f"-j needs two integers, got '{argv[1]} {argv[2]}'")
            argv = argv[3:]
        elif a == "--one-based":
            one_based, argv = True, argv[1:]
        elif a.startswith("--utt2spk="):
            utt2spk_path, argv = a.split("=", 1)[1], argv[1:]
        elif a == "--utt2spk" and len(argv) > 1:
            utt2spk_path, argv = argv[1], argv[2:]
        else:
            return usage(f"unknown option {a}")
    if num_jobs is not None:
        if len(argv) not in (1, 2):
            return usage()
        if one_based:
            job -= 1
        if not 0 <= job < num_jobs:
            return usage(f"job id out of range for {num_jobs} jobs")
        in_scp, outs = argv[0], None
    else:
        if len(argv) < 2:
            return usage()
        in_scp, outs = argv[0], argv[1:]
        num_jobs = len(outs)
    try:
        try:
            with open(in_scp, encoding="utf-8") as f:
                lines = [line.rstrip("\n") for line in f]
        except OSError as e:
            raise DataDirError(f"{in_scp}: cannot open ({e.strerror})") from None
        utt2spk = read_utt2spk(utt2spk_path) if utt2spk_path else None
        parts = split_lines(lines, num_jobs, utt2spk, name=in_scp)
        if outs is None:
            text = "".join(line + "\n" for line in parts[job])
            if len(argv) == 2:
                with atomic_write(argv[1]) as f:
                    f.write(text)
            else:
                sys.stdout.write(text)
        else:
            for out, part in zip(outs, parts):
                with atomic_write(out) as f:
                    f.write("".join(line + "\n" for line in part))
    except (DataDirError, UnicodeDecodeError) as e:
        print(f"split_scp.pl: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
