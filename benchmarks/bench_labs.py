"""Seconds to run every lab's solution notebook, each in a fresh kernel, one after another.

The labs run as `make course` runs them, through `sagelab.course.run_lab`, on the data that
SAGELAB_DATA names (the bundled 10,000-row file when it is unset). Executed copies go to a
temporary folder, so `_build/course` is left alone. Target: all labs together in at most
180 seconds on 2 cores.

Usage: python benchmarks/bench_labs.py [LAB ...]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sagelab.course import lab_notebooks, run_lab  # noqa: E402

TARGET_SECONDS = 180.0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    notebooks = lab_notebooks(argv or None)

    runs = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-labs-") as output:
        for notebook in notebooks:
            run = run_lab(notebook, output_dir=Path(output))
            runs.append(run)
            print(f"{run.lab:<14} {run.status:<7} {run.seconds:6.1f} s", flush=True)
    total = time.perf_counter() - started

    passed = sum(run.status == "passed" for run in runs)
    print(f"{passed}/{len(runs)} labs passed; kernel time {sum(r.seconds for r in runs):.1f} s")
    print(f"all labs, wall time: {total:.1f} s (target: at most {TARGET_SECONDS:.0f} s)")
    return 0 if passed == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
