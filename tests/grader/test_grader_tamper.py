"""Writes to the course gradebook that the grader did not make: found, undone and flagged."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from nbformat import NotebookNode
from nbgrader.api import Gradebook
from toy_submissions import (
    LAB,
    TEST_LIMITS,
    SubmissionKind,
    make_submission,
    write_submission,
)

from grader.autograde.pipeline import autograde
from grader.autograde.tamper import SOURCE_REASON, GradebookGuard
from grader.collect import collect
from grader.course import Course
from grader.defaults import SandboxSettings
from grader.export import export_csv
from grader.status import StatusStore

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def _add_student(course: Course, student: str) -> None:
    with Gradebook(course.db_url, course.course_id) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(LAB, student)


def _write(course: Course, statement: str) -> None:
    connection = sqlite3.connect(course.gradebook_path)
    connection.execute(statement)
    connection.commit()
    connection.close()


def _manual_score(course: Course, student: str) -> float | None:
    with Gradebook(course.db_url, course.course_id) as gradebook:
        return gradebook.find_grade("test_add", LAB, LAB, student).manual_score


def test_guard_restores_changed_rows(course: Course) -> None:
    _add_student(course, "alice")
    _add_student(course, "bob")
    guard = GradebookGuard(course.gradebook_path, course.records_dir / "tampered")
    _write(course, "UPDATE grade SET manual_score = 999")

    changed = guard.check()

    assert changed == {("alice", LAB), ("bob", LAB)}
    assert _manual_score(course, "alice") is None
    assert len(list((course.records_dir / "tampered").glob("gradebook-*.db"))) == 1
    assert guard.check() == set()
    guard.close()


def test_guard_course_table_change(course: Course) -> None:
    _add_student(course, "alice")
    guard = GradebookGuard(course.gradebook_path, course.records_dir / "tampered")
    _write(course, "UPDATE grade_cells SET max_score = 999")

    assert guard.check() == {("alice", ""), ("alice", LAB)}
    with Gradebook(course.db_url, course.course_id) as gradebook:
        assert gradebook.find_grade_cell("test_add", LAB, LAB).max_score == 2
    guard.close()


def test_guard_accepts_own_merge(course: Course) -> None:
    _add_student(course, "alice")
    _add_student(course, "bob")
    guard = GradebookGuard(course.gradebook_path, course.records_dir / "tampered")
    _write(course, "UPDATE grade SET auto_score = 1")  # both students, like a merge of alice

    assert guard.accept("alice") == {("bob", LAB)}
    assert guard.check() == set()
    with Gradebook(course.db_url, course.course_id) as gradebook:
        assert gradebook.find_grade("test_add", LAB, LAB, "alice").auto_score is None
    guard.close()


def _attacker(release: NotebookNode, course: Course) -> NotebookNode:
    """A perfect submission that sets manual_score = 999 in every gradebook it can open."""
    notebook = make_submission(release, SubmissionKind.PERFECT)
    targets = [str(course.gradebook_path), "../course/gradebook.db"]
    notebook.cells[2].source += (
        "\nimport sqlite3\n"
        f"for path in {targets!r}:\n"
        "    db = sqlite3.connect(path)\n"
        "    db.execute('UPDATE grade SET manual_score = 999')\n"
        "    db.commit()\n"
        "    db.close()\n"
    )
    return notebook


@pytest.mark.slow
def test_guard_mode_gradebook_write_undone(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    write_submission(uploads, "victim", make_submission(release_notebook, SubmissionKind.PERFECT))
    collect(course, LAB, uploads)
    autograde(course, LAB, jobs=1, limits=TEST_LIMITS, progress=False)
    write_submission(uploads, "attacker", _attacker(release_notebook, course))
    collect(course, LAB, uploads)

    summary = autograde(
        course,
        LAB,
        jobs=1,
        limits=TEST_LIMITS,
        sandbox=SandboxSettings(isolation="guard"),
        progress=False,
    )

    assert summary.isolation.mode == "guard"
    assert summary.graded == {"attacker": "tamper_suspect"}
    assert _manual_score(course, "victim") is None
    assert _manual_score(course, "attacker") is None
    store = StatusStore(course.records_dir / "status.json")
    victim = store.get(LAB, "victim")
    assert victim.status.value == "tamper_suspect"
    assert victim.reason.startswith(
        f"its gradebook rows were changed outside the grader during the autograde run of {LAB}"
    )
    attacker = store.get(LAB, "attacker")
    assert attacker.status.value == "tamper_suspect"
    assert attacker.reason == SOURCE_REASON
    rows = list(csv.DictReader(export_csv(course, tmp_path / "grades.csv").open()))
    scores = {row["student"]: row[f"{LAB} score"] for row in rows}
    assert scores == {"victim": "4", "attacker": "4"}
