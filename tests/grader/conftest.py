"""Fixtures of the grader tests: a released toy course, small limits, submission folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from toy_submissions import FILES, LAB

from grader.autograde.sandbox import detect_isolation
from grader.course import Course
from grader.defaults import Limits
from grader.release import release

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


@pytest.fixture(scope="session")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release the toy lab once per session; tests copy the result."""
    root = tmp_path_factory.mktemp("released")
    shutil.copytree(FILES / "labs", root / "labs")
    release(Course.open(root / "course", root / "labs"), LAB)
    return root


def copy_course(released: Path, target: Path) -> Course:
    shutil.copytree(released / "labs", target / "labs")
    shutil.copytree(released / "course", target / "course")
    course = Course.open(target / "course", target / "labs")
    course.prepare()
    return course


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Course:
    """A fresh copy of the released toy course."""
    return copy_course(released_course, tmp_path)


@pytest.fixture
def release_notebook(course: Course) -> nbformat.NotebookNode:
    return nbformat.read(course.release_notebook(LAB), as_version=4)
