"""Benchmarks for sagelab: each `bench_*.py` script prints its figures; `make bench` runs them all."""
