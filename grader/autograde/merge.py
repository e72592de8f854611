"""Merge a worker's result into the course: gradebook, autograded files and the record.

Only the process that runs the pipeline calls this, one result at a time, so the gradebook
has a single writer. Manual scores, manual comments and extra credit are never touched.
"""

from __future__ import annotations

import logging
import pickle
import shutil
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from grader.autograde.job import GradeResult
from grader.course import Course
from grader.status import CellScore, Status, SubmissionRecord

log = logging.getLogger(__name__)


def merge_result(
    course: Course, result: GradeResult, record: SubmissionRecord, digest: str
) -> None:
    """Write ``result`` into the gradebook and ``course/autograded``, and update ``record``."""
    status = Status(result.outcome)
    if status == Status.GRADED and (record.repairs or record.dropped_files):
        status = Status.REPAIRED
    _write_gradebook(course, result, record.timestamp)
    if result.autograded_files:
        _write_autograded(course, result)
    if result.reflection is not None:
        _save_reflection(course, result)
    _save_log(course, result)

    record.status = status
    record.reason = result.reason
    record.flags = _unique([*_collect_flags(record), *result.flags, *_reflection_flags(result)])
    record.cells = {
        cell.grade_id: CellScore(
            cell.kind, cell.max_score, cell.auto_score, cell.needs_manual_grade
        )
        for cell in result.cells
    }
    record.auto_score = sum(cell.auto_score or 0.0 for cell in result.cells)
    record.max_score = sum(cell.max_score for cell in result.cells)
    record.duration = round(result.duration, 3)
    record.graded_digest = digest
    record.graded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    log.info(
        "lab=%s student=%s %s %.1f/%.1f in %.1f s%s",
        result.lab,
        result.student,
        status.value,
        record.auto_score,
        record.max_score,
        result.duration,
        f" ({result.reason})" if result.reason else "",
    )


def _collect_flags(record: SubmissionRecord) -> list[str]:
    # Flags written by collect start with "collect:"; earlier grading flags are replaced.
    return [flag for flag in record.flags if flag.startswith("collect:")]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _write_gradebook(course: Course, result: GradeResult, timestamp: str | None) -> None:
    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gradebook:
        # nbgrader's ORM relationships warn about autoflush on every new submission.
        warnings.simplefilter("ignore", SAWarning)
        gradebook.update_or_create_student(result.student)
        kwargs: dict[str, Any] = {"timestamp": parse_utc(timestamp)} if timestamp else {}
        gradebook.update_or_create_submission(result.lab, result.student, **kwargs)
        reflection_points = _reflection_points(result)
        for cell in result.cells:
            grade = gradebook.find_grade(cell.grade_id, cell.notebook, result.lab, result.student)
            score = cell.auto_score
            if cell.grade_id in reflection_points:
                score = reflection_points[cell.grade_id]
            grade.auto_score = None if score is None else min(max(score, 0.0), cell.max_score)
            grade.needs_manual_grade = (
                cell.needs_manual_grade
                or grade.manual_score is not None
                or cell.grade_id in reflection_points
            )
            _set_comment(gradebook, cell.grade_id, cell.notebook, result, cell.auto_comment)
        for notebook in {cell.notebook for cell in result.cells}:
            submitted = gradebook.find_submission_notebook(notebook, result.lab, result.student)
            submitted.late_submission_penalty = max(0.0, result.late_penalty)
        gradebook.db.commit()


def _set_comment(
    gradebook: Gradebook, grade_id: str, notebook: str, result: GradeResult, text: str | None
) -> None:
    extra = _reflection_comments(result).get(grade_id)
    try:
        comment = gradebook.find_comment(grade_id, notebook, result.lab, result.student)
    except MissingEntry:
        return  # autograder test cells have no comment row
    parts = [part for part in (text, extra) if part]
    comment.auto_comment = "\n".join(parts) if parts else None


def _reflection_cells(result: GradeResult) -> list[Any]:
    return [
        cell for cell in getattr(result.reflection, "cells", []) if getattr(cell, "grade_id", None)
    ]


def _reflection_points(result: GradeResult) -> dict[str, float]:
    """Return automatic reflection points per grade id; a human still confirms them."""
    points: dict[str, float] = {}
    for cell in _reflection_cells(result):
        rubric = getattr(cell, "rubric", [])
        if rubric:
            points[cell.grade_id] = points.get(cell.grade_id, 0.0) + sum(s.points for s in rubric)
    return points


def _reflection_comments(result: GradeResult) -> dict[str, str]:
    return {cell.grade_id: cell.comment for cell in _reflection_cells(result) if cell.comment}


def _reflection_flags(result: GradeResult) -> list[str]:
    flags = getattr(result.reflection, "all_flags", [])
    return [f"reflection: {flag.code.value}: {flag.message}" for flag in flags]


def _write_autograded(course: Course, result: GradeResult) -> None:
    target = course.autograded_dir / result.student / result.lab
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for relative, content in result.autograded_files.items():
        path = (target / relative).resolve()
        if not path.is_relative_to(target.resolve()):
            log.warning(
                "lab=%s student=%s skipped autograded file %r", result.lab, result.student, relative
            )
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def log_path(course: Course, lab: str, student: str) -> Path:
    """Return the file with nbgrader's log of a submission's last grading run."""
    return course.records_dir / "logs" / lab / f"{student}.log"


def _save_log(course: Course, result: GradeResult) -> None:
    path = log_path(course, result.lab, result.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"lab={result.lab} student={result.student} outcome={result.outcome} {result.reason}"
    path.write_text(f"{header.rstrip()}\n{result.log}\n", encoding="utf-8")


def reflection_path(course: Course, lab: str, student: str) -> Path:
    return course.records_dir / "reflection" / lab / f"{student}.pickle"


def _save_reflection(course: Course, result: GradeResult) -> None:
    path = reflection_path(course, result.lab, result.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(result.reflection))


def load_reflections(course: Course, lab: str) -> list[Any]:
    """Return the stored reflection check results of a lab, one per graded student."""
    folder = course.records_dir / "reflection" / lab
    if not folder.is_dir():
        return []
    return [pickle.loads(path.read_bytes()) for path in sorted(folder.glob("*.pickle"))]  # noqa: S301
