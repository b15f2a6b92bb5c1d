"""Benchmarks: reproducible runs that print figures next to a baseline measured in the same run.
They are never part of the test pass/fail. ``python -m bench list`` / ``python -m bench NAME``."""
