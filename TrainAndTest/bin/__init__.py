"""Command-line entry points (``python -m TrainAndTest.bin.<name>``)."""
