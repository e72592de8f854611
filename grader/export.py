"""Grade exports: a wide CSV with per-lab and per-question columns, and a Canvas import CSV.

Scores come from the gradebook, so manual grades count: a cell's score is its manual score
when a grader set one, else its automatic score, plus extra credit. Both parts are capped at
the cell's maximum, and a value above it is named in the reason column, because no grading
step writes one: it comes from a typing error or from code that wrote the gradebook. Every
lab column group carries the submission status, so a failed or missing submission never
reads as a plain 0.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook, MissingEntry

from grader.course import Course
from grader.status import Status, StatusStore, SubmissionRecord


@dataclass
class LabScores:
    """One student's scores for one lab."""

    status: str
    reason: str = ""
    score: float | None = None
    max_score: float = 0.0
    late_penalty: float = 0.0
    needs_manual_grade: bool = False
    questions: dict[str, float | None] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # scores above a cell's maximum


def capped_score(grade: Any) -> tuple[float | None, list[str]]:
    """Return an nbgrader Grade's score with each part capped at the cell maximum, and flags.

    The parts are the manual score (else the automatic score) and the extra credit.
    """
    maximum = float(grade.max_score)
    base = grade.manual_score if grade.manual_score is not None else grade.auto_score
    if base is None and not grade.extra_credit:
        return None, []
    flags = []
    total = 0.0
    for label, value in (("score", base), ("extra credit", grade.extra_credit)):
        if value is None:
            continue
        if float(value) > maximum:
            flags.append(
                f"{grade.name}: gradebook {label} {float(value):g} is above the cell maximum "
                f"{maximum:g}; counted as {maximum:g}"
            )
        total += min(max(float(value), 0.0), maximum)
    return total, flags


def lab_score_flags(course: Course, lab: str) -> dict[str, list[str]]:
    """Return student -> flags of gradebook scores above their cell's maximum in ``lab``."""
    flags: dict[str, list[str]] = {}
    with Gradebook(course.db_url, course.course_id) as gradebook:
        try:
            submissions = gradebook.find_assignment(lab).submissions
        except MissingEntry:
            return {}
        for submission in submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    found = capped_score(grade)[1]
                    if found:
                        flags.setdefault(submission.student.id, []).extend(found)
    return flags


def record_reason(record: SubmissionRecord | None) -> str:
    """Return the reason column of a record: its reason, then every repair and dropped file."""
    if record is None:
        return "no submission"
    parts = [record.reason] if record.reason else []
    parts += [f"repaired: {repair}" for repair in record.repairs]
    parts += [f"dropped: {name}" for name in record.dropped_files]
    return "; ".join(parts)


def _question_maxima(gradebook: Gradebook, lab: str) -> dict[str, float]:
    assignment = gradebook.find_assignment(lab)
    maxima: dict[str, float] = {}
    for notebook in assignment.notebooks:
        for cell in [*notebook.grade_cells, *notebook.task_cells]:
            maxima[cell.name] = float(cell.max_score)
    return maxima


def _lab_scores(gradebook: Gradebook, lab: str, student: str, store: StatusStore) -> LabScores:
    record = store.get(lab, student)
    status = record.status.value if record else Status.MISSING.value
    scores = LabScores(status, record_reason(record))
    try:
        submission = gradebook.find_submission(lab, student)
    except MissingEntry:
        return scores
    scores.max_score = float(submission.max_score)
    if status in (Status.FAILED.value, Status.MISSING.value, Status.COLLECTED.value):
        return scores
    scores.late_penalty = float(submission.late_submission_penalty or 0.0)
    scores.needs_manual_grade = bool(submission.needs_manual_grade)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            scores.questions[grade.name], flags = capped_score(grade)
            scores.flags += flags
    total = sum(value or 0.0 for value in scores.questions.values())
    scores.score = max(0.0, total - scores.late_penalty)
    if scores.flags:
        scores.reason = "; ".join([scores.reason, *scores.flags] if scores.reason else scores.flags)
    return scores


def collect_scores(
    course: Course, labs: list[str] | None = None
) -> tuple[list[str], dict[str, dict[str, LabScores]], dict[str, dict[str, float]]]:
    """Return (labs, scores[student][lab], question maxima[lab][grade id])."""
    store = StatusStore(course.records_dir / "status.json")
    chosen = labs or course.released_labs()
    for lab in chosen:
        course.require_released(lab)
    scores: dict[str, dict[str, LabScores]] = {}
    maxima: dict[str, dict[str, float]] = {}
    with Gradebook(course.db_url, course.course_id) as gradebook:
        students = sorted(set(store.roster()) | {s.id for s in gradebook.students})
        for lab in chosen:
            maxima[lab] = _question_maxima(gradebook, lab)
            for student in students:
                scores.setdefault(student, {})[lab] = _lab_scores(gradebook, lab, student, store)
    return chosen, scores, maxima


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def export_csv(course: Course, path: Path, labs: list[str] | None = None) -> Path:
    """Write one row per student with status, score and per-question columns for each lab."""
    chosen, scores, maxima = collect_scores(course, labs)
    header = ["student"]
    for lab in chosen:
        header += [
            f"{lab} status",
            f"{lab} reason",
            f"{lab} score",
            f"{lab} max",
            f"{lab} late penalty",
            f"{lab} needs manual grade",
        ]
        header += [f"{lab}:{question}" for question in maxima[lab]]
    rows = []
    for student, per_lab in sorted(scores.items()):
        row = [student]
        for lab in chosen:
            lab_scores = per_lab[lab]
            row += [
                lab_scores.status,
                lab_scores.reason,
                _number(lab_scores.score),
                _number(lab_scores.max_score or sum(maxima[lab].values())),
                _number(lab_scores.late_penalty),
                "yes" if lab_scores.needs_manual_grade else "no",
            ]
            row += [_number(lab_scores.questions.get(question)) for question in maxima[lab]]
        rows.append(row)
    return _write(path, header, rows)


def export_canvas(course: Course, path: Path, labs: list[str] | None = None) -> Path:
    """Write a CSV in the layout of Canvas's gradebook import.

    Columns are Student, ID, SIS User ID, SIS Login ID, Section and one column per lab,
    with a "Points Possible" row first. ID is the LMS user id recorded by collect from the
    download's file names, else the student id. Failed and missing submissions are left
    empty so Canvas does not record a 0 for them.
    """
    chosen, scores, maxima = collect_scores(course, labs)
    store = StatusStore(course.records_dir / "status.json")
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *chosen]
    possible = [
        "Points Possible",
        "",
        "",
        "",
        "",
        *(_number(sum(maxima[lab].values())) for lab in chosen),
    ]
    rows = [possible]
    for student, per_lab in sorted(scores.items()):
        info = store.students.get(student, {})
        row = [info.get("name") or student, info.get("lms_user_id") or student, student, "", ""]
        row += [_number(per_lab[lab].score) for lab in chosen]
        rows.append(row)
    return _write(path, header, rows)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path
