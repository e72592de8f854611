"""Time parallel sandboxed autograding against stock serial ``nbgrader autograde``.

Run: ``.venv/bin/python benchmarks/bench_grader.py [--submissions 40] [--jobs 2]``.
Both runs grade the same submissions of one lab (by default the grader tests' toy lab) on
copies of one released course, each through its command line: ``python -m grader
autograde --jobs N`` and ``nbgrader autograde LAB --force``. The script prints both wall
times, their ratio and whether every honest submission got the same score per cell. The
target is a ratio of at least 1.6 with identical scores.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from grader.course import Course, nbgrader_environment
from grader.release import release

ROOT = Path(__file__).resolve().parent.parent
TOY_LABS = ROOT / "tests" / "grader" / "files" / "labs"
TARGET_RATIO = 1.6
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.MULTILINE)


def _answers(source: Path) -> dict[str, str]:
    """Return grade id -> solution source of every solution cell, markers removed."""
    notebook = nbformat.read(source, as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKER.sub("", cell.source)
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def _write_submissions(course: Course, lab: str, count: int, folder: Path) -> None:
    """Write ``count`` honest submissions: even ones solved, odd ones left as released."""
    answers = _answers(course.source_dir / lab / course.notebook_name(lab))
    release_notebook = nbformat.read(course.release_notebook(lab), as_version=4)
    for index in range(count):
        notebook = nbformat.from_dict(release_notebook)
        if index % 2 == 0:
            for cell in notebook.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in answers:
                    cell.source = answers[grade_id]
        target = folder / f"s{index:03d}" / lab / course.notebook_name(lab)
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)


def _copy_course(origin: Path, target: Path, labs: Path) -> Course:
    shutil.copytree(origin, target)
    course = Course.open(target, labs)
    course.prepare()
    return course


def _timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run ``command``; return its wall seconds and the CPU seconds of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=cwd, env=nbgrader_environment(), capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode not in (0, 5):
        print(completed.stdout[-2000:], completed.stderr[-4000:], sep="\n")
        raise SystemExit(f"{command[:4]} failed with exit status {completed.returncode}")
    return elapsed, cpu


def _scores(course: Course, lab: str) -> dict[tuple[str, str], float | None]:
    with Gradebook(course.db_url, course.course_id) as gradebook:
        return {
            (submission.student_id, grade.name): grade.auto_score
            for submission in gradebook.find_assignment(lab).submissions
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Print both wall times, the speed-up and whether the honest scores agree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40, help="submissions to grade")
    parser.add_argument("--jobs", type=int, default=2, help="workers of the parallel run")
    parser.add_argument("--labs", type=Path, default=TOY_LABS, help="folder of lab sources")
    parser.add_argument("--lab", default="01-toy", help="lab to grade")
    arguments = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-grader-") as scratch:
        work = Path(scratch)
        labs = work / "labs"
        shutil.copytree(arguments.labs, labs)
        released = Course.open(work / "released", labs)
        release(released, arguments.lab)
        uploads = work / "uploads"
        _write_submissions(released, arguments.lab, arguments.submissions, uploads)

        stock = _copy_course(released.root, work / "stock", labs)
        shutil.copytree(uploads, stock.submitted_dir, dirs_exist_ok=True)
        ours = _copy_course(released.root, work / "ours", labs)
        grader = [sys.executable, "-m", "grader"]
        subprocess.run(
            [*grader, "collect", arguments.lab, str(uploads), "--course", str(ours.root)],
            cwd=ROOT,
            env=nbgrader_environment(),
            check=True,
            capture_output=True,
        )

        stock_seconds, stock_cpu = _timed(
            ["nbgrader", "autograde", arguments.lab, "--force"], stock.root
        )
        ours_seconds, ours_cpu = _timed(
            [
                *grader,
                "autograde",
                arguments.lab,
                "--course",
                str(ours.root),
                "--jobs",
                str(arguments.jobs),
                "--no-progress",
            ],
            ROOT,
        )
        identical = _scores(stock, arguments.lab) == _scores(ours, arguments.lab)

    ratio = stock_seconds / ours_seconds
    print(f"submissions: {arguments.submissions} of {arguments.lab}, CPUs: {os.cpu_count()}")
    print(f"stock nbgrader autograde (serial): {stock_seconds:.1f} s, CPU {stock_cpu:.1f} s")
    print(
        f"python -m grader autograde --jobs {arguments.jobs}: {ours_seconds:.1f} s, "
        f"CPU {ours_cpu:.1f} s"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work slows both runs)")
    print(f"speed-up: {ratio:.2f}x (target: at least {TARGET_RATIO}x)")
    print(f"honest scores identical: {'yes' if identical else 'no'}")
    return 0 if identical and ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
