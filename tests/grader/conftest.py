"""Fixtures of the grader tests: the released toy course and its student version."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from toy_submissions import FILES, LAB, copy_course

from grader.course import Course
from grader.release import release


@pytest.fixture(scope="session")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release the toy lab once per session; tests copy the result."""
    root = tmp_path_factory.mktemp("released")
    shutil.copytree(FILES / "labs", root / "labs")
    release(Course.open(root / "course", root / "labs"), LAB)
    return root


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Course:
    """A fresh copy of the released toy course."""
    return copy_course(released_course, tmp_path)


@pytest.fixture
def release_notebook(course: Course) -> nbformat.NotebookNode:
    return nbformat.read(course.release_notebook(LAB), as_version=4)
