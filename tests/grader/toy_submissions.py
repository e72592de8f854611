"""The toy lab of the grader tests: test limits, course copies and generated submissions.

``SubmissionKind`` is the fixture class: PERFECT takes the solution regions of the source,
PARTIAL solves ``add`` only, WRONG solves nothing correctly and EMPTY is the untouched
student version. Only the two autograded answers count: 2 points each.
"""

from __future__ import annotations

import copy
import enum
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from grader.autograde.sandbox import detect_isolation
from grader.course import Course
from grader.defaults import Limits

# Small limits keep the hostile catalogue fast on two cores.
TEST_LIMITS = Limits(
    cell_timeout=5,
    notebook_timeout=40,
    memory_mb=256,
    processes=64,
    file_size_mb=16,
    output_kb_per_cell=256,
    work_disk_mb=64,
)

requires_namespaces = pytest.mark.skipif(
    detect_isolation().mode != "namespaces",
    reason="needs the namespaces sandbox (root and unshare)",
)

FILES = Path(__file__).resolve().parent / "files"
LAB = "01-toy"
SOURCE = FILES / "labs" / LAB / f"{LAB}.ipynb"
SOLUTION_REGION = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.MULTILINE)

WRONG_ADD = "def add(a, b):\n    return a - b"
WRONG_MEANS = "def column_means(rows):\n    return np.zeros(len(rows[0]))"


class SubmissionKind(enum.Enum):
    """Expected automatic score of each generated submission (4 points are automatic)."""

    PERFECT = 4.0
    PARTIAL = 2.0
    WRONG = 0.0
    EMPTY = 0.0


def solutions() -> dict[str, str]:
    """Return grade id -> source of each solution cell with the solution markers removed."""
    source = nbformat.read(SOURCE, as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: SOLUTION_REGION.sub("", cell.source)
        for cell in source.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def answer(release: NotebookNode, answers: dict[str, str]) -> NotebookNode:
    """Return a copy of the release with the given grade ids' sources replaced."""
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def make_submission(release: NotebookNode, kind: SubmissionKind) -> NotebookNode:
    """Return the submission of ``kind`` built from the release notebook."""
    solved = solutions()
    code_answers = {"add_answer": solved["add_answer"], "means_answer": solved["means_answer"]}
    if kind is SubmissionKind.PERFECT:
        return answer(release, code_answers)
    if kind is SubmissionKind.PARTIAL:
        return answer(release, {**code_answers, "means_answer": WRONG_MEANS})
    if kind is SubmissionKind.WRONG:
        return answer(release, {"add_answer": WRONG_ADD, "means_answer": WRONG_MEANS})
    return copy.deepcopy(release)


def write_submission(
    folder: Path, student: str, notebook: NotebookNode, name: str = f"{LAB}.ipynb"
) -> Path:
    """Write ``notebook`` as ``folder/<student>/01-toy/<name>`` and return the path."""
    target = folder / student / LAB / name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def copy_course(released: Path, target: Path) -> Course:
    shutil.copytree(released / "labs", target / "labs")
    shutil.copytree(released / "course", target / "course")
    course = Course.open(target / "course", target / "labs")
    course.prepare()
    return course
