"""The benchmarks that `make bench` runs (bench/run.py)."""
