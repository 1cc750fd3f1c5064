"""Thin command-line entry points of the data side (``python -m Process_Data.bin.<name>``)."""
