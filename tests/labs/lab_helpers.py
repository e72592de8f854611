"""Helpers shared by the lab tests: lab paths, reading notebooks, running the nbgrader CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"
EXPECTED_LABS = (
    "01-eda",
    "02-prepare",
    "03-train",
    "04-tune",
    "05-deploy",
    "06-ab-testing",
    "07-reflection",
    "08-capstone",
)
NBGRADER_TIMEOUT_SECONDS = 600


def lab_paths() -> list[Path]:
    """Return labs/<lab>/<lab>.ipynb for every lab folder that has its notebook."""
    return sorted(
        folder / f"{folder.name}.ipynb"
        for folder in LABS.iterdir()
        if (folder / f"{folder.name}.ipynb").is_file()
    )


def lab_ids() -> list[str]:
    return [path.parent.name for path in lab_paths()]


def read_lab(lab: str) -> nbformat.NotebookNode:
    return nbformat.read(LABS / lab / f"{lab}.ipynb", as_version=4)


def run_nbgrader(course_root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the nbgrader CLI of this environment in `course_root` and fail on a non-zero exit.

    nbgrader starts `alembic` as a subprocess to create its database, so the folder of this
    interpreter goes first on PATH.
    """
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    command = [
        str(Path(bin_dir) / "nbgrader"),
        *arguments,
        f"--CourseDirectory.root={course_root}",
        "--CourseDirectory.course_id=sagelab-tests",
    ]
    completed = subprocess.run(
        command,
        cwd=course_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=NBGRADER_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{' '.join(arguments)} exited with {completed.returncode}:\n{completed.stderr[-4000:]}"
    )
    return completed
