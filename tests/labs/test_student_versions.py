"""Student versions built by nbgrader's generate_assignment: nothing instructor-only leaks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from lab_helpers import lab_ids, read_lab
from test_lab_format import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    SOLUTION_BEGIN,
    SOLUTION_END,
    code_outside,
    nbgrader_cells,
)

INSTRUCTOR_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Lines this short (a closing bracket, `else:`) also appear outside solutions by chance.
MIN_LEAK_LINE = 12


def region_lines(source: str, begin: str, end: str) -> set[str]:
    """Return the stripped lines inside the begin/end regions of `source`."""
    inside_only = set()
    inside = False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and len(line.strip()) >= MIN_LEAK_LINE:
            inside_only.add(line.strip())
    return inside_only


def released(course: Path, lab: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "release" / lab / f"{lab}.ipynb", as_version=4)


def all_text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


@pytest.mark.parametrize("lab", lab_ids())
def test_no_markers_in_release(released_course: Path, lab: str) -> None:
    text = all_text(released(released_course, lab))

    found = [marker for marker in INSTRUCTOR_MARKERS if marker in text]

    assert not found, f"{lab}: the student version still contains {found}"


@pytest.mark.parametrize("lab", lab_ids())
def test_hidden_tests_removed(released_course: Path, lab: str) -> None:
    source = read_lab(lab)
    public_text = "\n".join(
        code_outside(cell.source, HIDDEN_BEGIN, HIDDEN_END) for cell in source.cells
    )
    hidden = set()
    for cell in nbgrader_cells(source, "test"):
        hidden |= region_lines(cell.source, HIDDEN_BEGIN, HIDDEN_END)
    student_text = all_text(released(released_course, lab))

    leaked = sorted(line for line in hidden if line in student_text and line not in public_text)

    assert not leaked, f"{lab}: hidden test lines in the student version: {leaked[:3]}"


@pytest.mark.parametrize("lab", lab_ids())
def test_solutions_removed(released_course: Path, lab: str) -> None:
    source = read_lab(lab)
    public_text = "\n".join(
        code_outside(cell.source, SOLUTION_BEGIN, SOLUTION_END) for cell in source.cells
    )
    solution = set()
    for cell in nbgrader_cells(source, "solution"):
        solution |= region_lines(cell.source, SOLUTION_BEGIN, SOLUTION_END)
    student = released(released_course, lab)
    student_text = all_text(student)

    leaked = sorted(line for line in solution if line in student_text and line not in public_text)

    assert not leaked, f"{lab}: solution lines in the student version: {leaked[:3]}"
    stubbed = [cell for cell in nbgrader_cells(student, "solution") if cell.cell_type == "code"]
    assert all("raise NotImplementedError()" in cell.source for cell in stubbed)


@pytest.mark.parametrize("lab", lab_ids())
def test_answers_emptied(released_course: Path, lab: str) -> None:
    student = released(released_course, lab)

    answers = nbgrader_cells(student, "answer")

    assert answers
    assert all(cell.source == "YOUR ANSWER HERE" for cell in answers)
    with_attachments = [cell.id for cell in student.cells if cell.get("attachments")]
    assert not with_attachments, f"{lab}: attachments left in cells {with_attachments}"


@pytest.mark.parametrize("lab", lab_ids())
def test_release_keeps_tests(released_course: Path, lab: str) -> None:
    source_tests = nbgrader_cells(read_lab(lab), "test")
    student_tests = nbgrader_cells(released(released_course, lab), "test")

    assert [cell.metadata["nbgrader"]["grade_id"] for cell in student_tests] == [
        cell.metadata["nbgrader"]["grade_id"] for cell in source_tests
    ]
    for before, after in zip(source_tests, student_tests, strict=True):
        assert after.source == code_outside(before.source, HIDDEN_BEGIN, HIDDEN_END).rstrip("\n")
