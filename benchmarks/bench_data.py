"""Time the claims generator and CSV writer on a large row count.

Run: ``.venv/bin/python benchmarks/bench_data.py [--rows N] [--seed S]``. The target is
1,000,000 rows generated in under 30 seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sagelab.data import DEFAULT_SEED, generate_claims, write_claims_csv

TARGET_SECONDS = 30.0


def main(argv: Sequence[str] | None = None) -> int:
    """Print the seconds spent generating and writing `--rows` claims rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    arguments = parser.parse_args(argv)

    started = time.perf_counter()
    frame = generate_claims(rows=arguments.rows, seed=arguments.seed)
    generated = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "claims.csv"
        write_claims_csv(frame, path)
        size = path.stat().st_size
    written = time.perf_counter()

    total = written - started
    print(f"generate_claims(rows={arguments.rows}): {generated - started:.2f} s")
    print(f"write_claims_csv: {written - generated:.2f} s ({size / 1e6:.1f} MB)")
    print(f"total: {total:.2f} s (target: under {TARGET_SECONDS:.0f} s)")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
