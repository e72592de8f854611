"""Run every benchmarks/bench_*.py script (or the named ones) and print their output.

Usage: python -m benchmarks [NAME ...]   e.g. python -m benchmarks training hosting
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        wanted = {f"bench_{name.removeprefix('bench_').removesuffix('.py')}.py" for name in argv}
        unknown = wanted - {script.name for script in scripts}
        if unknown:
            known = ", ".join(s.stem.removeprefix("bench_") for s in scripts)
            print(f"unknown benchmark(s) {', '.join(sorted(unknown))}: choose from {known}")
            return 2
        scripts = [script for script in scripts if script.name in wanted]

    print(
        f"machine: {platform.processor() or platform.machine()}, {_cpus()} CPUs, "
        f"Python {platform.python_version()}"
    )
    failures = 0
    for script in scripts:
        print(f"\n== {script.stem} ==", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"({time.perf_counter() - started:.1f} s, exit {result.returncode})", flush=True)
        failures += result.returncode != 0
    return 1 if failures else 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
