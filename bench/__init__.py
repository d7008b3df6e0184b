"""Benchmarks and measurements: scripts that print a table (run with `python -m bench.<name>`)."""
