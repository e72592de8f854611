"""Benchmarks for sagelab.

Each `bench_*.py` script prints its figures; `make bench` runs them all.
"""
