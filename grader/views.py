"""Build the inputs of the feedback pages and the instructor report from the course records."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import nbformat
from nbgrader import utils

from grader.autograde.merge import load_reflections, reflection_path
from grader.course import Course
from grader.integrations import require
from grader.status import Status, StatusStore, SubmissionRecord

log = logging.getLogger(__name__)

HIDDEN_TESTS_MARK = "BEGIN HIDDEN TESTS"


def hidden_grade_ids(course: Course, lab: str) -> set[str]:
    """Return the grade ids of source cells that contain hidden tests."""
    source = nbformat.read(course.source_dir / lab / course.notebook_name(lab), as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]
        for cell in source.cells
        if HIDDEN_TESTS_MARK in cell.source and cell.metadata.get("nbgrader", {}).get("grade_id")
    }


def make_test_records(
    course: Course, lab: str, student: str, record: SubmissionRecord
) -> list[Any]:
    """Return one report TestRecord per autograder test, with the error message shown."""
    test_record = require("report", "TestRecord", "report")
    hidden = hidden_grade_ids(course, lab)
    messages = _error_messages(course.autograded_dir / student / lab / course.notebook_name(lab))
    return [
        test_record(
            grade_id=grade_id,
            points=cell.auto_score,
            max_points=cell.max_score,
            message=messages.get(grade_id, ""),
            hidden=grade_id in hidden,
        )
        for grade_id, cell in record.cells.items()
        if cell.kind == "test"
    ]


def _error_messages(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    notebook = nbformat.read(path, as_version=4)
    messages = {}
    for cell in notebook.cells:
        if cell.cell_type != "code" or not utils.is_grade(cell):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                messages[cell.metadata["nbgrader"]["grade_id"]] = (
                    f"{output.get('ename')}: {output.get('evalue')}"
                )
    return messages


def report_records(course: Course, lab: str) -> list[Any]:
    """Return the report's SubmissionRecord of every student of ``lab``."""
    submission_record = require("report", "SubmissionRecord", "report")
    store = StatusStore(course.records_dir / "status.json")
    reflections = {result.student: result for result in load_reflections(course, lab)}
    records = []
    for student, record in store.lab(lab).items():
        graded = record.status not in (Status.FAILED, Status.MISSING, Status.COLLECTED)
        records.append(
            submission_record(
                student=student,
                lab=lab,
                status=record.status.value,
                score=record.auto_score if graded else None,
                max_score=record.max_score,
                seconds=record.duration or None,
                tests=make_test_records(course, lab, student, record) if graded else [],
                reflection=reflections.get(student),
                reason=record.reason,
            )
        )
    return records


def write_feedback(course: Course, lab: str, students: list[str] | None = None) -> list[Path]:
    """Write ``feedback/<student>/<lab>/<lab>.html`` for every graded student of ``lab``."""
    render_feedback = require("feedback", "render_feedback", "feedback")
    store = StatusStore(course.records_dir / "status.json")
    hidden = hidden_grade_ids(course, lab)
    written = []
    for student, record in store.lab(lab).items():
        if students and student not in students:
            continue
        folder = course.autograded_dir / student / lab
        notebook_path = folder / course.notebook_name(lab)
        if not notebook_path.is_file():
            continue
        reflection = _load_reflection(course, lab, student)
        html = render_feedback(
            nbformat.read(notebook_path, as_version=4),
            student=student,
            lab=lab,
            test_results=make_test_records(course, lab, student, record),
            hidden_grade_ids=hidden,
            reflection=reflection,
            files_dir=folder,
        )
        target = course.feedback_dir / student / lab / f"{lab}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        written.append(target)
        log.info("lab=%s student=%s feedback written to %s", lab, student, target)
    return written


def _load_reflection(course: Course, lab: str, student: str) -> Any:
    import pickle

    path = reflection_path(course, lab, student)
    return pickle.loads(path.read_bytes()) if path.is_file() else None  # noqa: S301


def write_report(course: Course, lab: str, output: Path) -> Path:
    """Write the instructor report of ``lab`` into the folder ``output``."""
    build_report = require("report", "build_report", "report")
    return build_report(report_records(course, lab), output, title=f"Instructor report: {lab}")
