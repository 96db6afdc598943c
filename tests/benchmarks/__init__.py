"""Benchmarks: each bench_*.py measures one thing and prints a JSON line of figures last."""
