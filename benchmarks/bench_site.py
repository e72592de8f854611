"""Build times of the course site: a clean build and two kinds of rebuild.

Runs `jupyter-book build . -W -n --keep-going` (student edition) three times into a
temporary output folder:

1. clean: an empty output folder, so every stage chapter is executed;
2. cached rebuild: the HTML and doctrees are deleted but the notebook execution cache
   is kept, so every page is rendered again and no notebook runs (what CI does when it
   restores the cache);
3. no-op rebuild: nothing deleted, nothing changed (what an author sees after an edit
   elsewhere).

Targets: clean at most 180 s, cached rebuild at most 30 s, on 2 cores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
TARGETS = {"clean build": 180.0, "cached rebuild": 30.0}


def build(output: Path) -> float:
    """Build the site into `output` and return the wall time in seconds."""
    command = [str(JUPYTER_BOOK), "build", ".", "-W", "-n", "--keep-going"]
    command += ["--path-output", str(output)]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "SAGELAB_EDITION": "student"},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.stdout.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(f"jupyter-book build failed with exit code {completed.returncode}")
    return seconds


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-site-") as folder:
        output = Path(folder)
        results["clean build"] = build(output)

        for generated in ("html", ".doctrees", "jupyter_execute"):
            shutil.rmtree(output / "_build" / generated, ignore_errors=True)
        results["cached rebuild"] = build(output)

        results["no-op rebuild"] = build(output)

    failures = 0
    for name, seconds in results.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"  (target <= {target:.0f} s: {'met' if seconds <= target else 'MISSED'})"
            failures += seconds > target
        print(f"{name:15} {seconds:6.1f} s{verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
