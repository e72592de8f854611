"""nbgrader autograde on the quick labs: solutions earn every point, stubs earn none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lab_helpers import LABS, run_nbgrader
from nbgrader.api import Gradebook

# Labs that run in a few seconds; the others are executed by test_lab_execution.
QUICK_LABS = ("01-eda", "02-prepare", "07-reflection")


def submit(course: Path, student: str, lab: str, notebook: Path) -> None:
    folder = course / "submitted" / student / lab
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, folder / f"{lab}.ipynb")


def grades(course: Path, student: str, lab: str) -> dict[str, tuple[float, float, bool]]:
    """Return grade id -> (score, max score, needs manual grade) from the gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(lab, lab, student)
        return {
            grade.name: (grade.score, grade.max_score, grade.needs_manual_grade)
            for grade in notebook.grades
        }


@pytest.fixture(scope="module")
def autograded(released_course: Path) -> Path:
    """The course after autograding, per quick lab, its solution and its student version."""
    for lab in QUICK_LABS:
        submit(released_course, "solution", lab, LABS / lab / f"{lab}.ipynb")
        submit(released_course, "stubs", lab, released_course / "release" / lab / f"{lab}.ipynb")
        run_nbgrader(released_course, "autograde", lab, "--force")
    return released_course


@pytest.mark.slow
@pytest.mark.parametrize("lab", QUICK_LABS)
def test_solution_full_marks(autograded: Path, lab: str) -> None:
    scores = grades(autograded, "solution", lab)

    automatic = {name: score for name, score in scores.items() if not score[2]}
    manual = [name for name, score in scores.items() if score[2]]

    if lab != "07-reflection":
        assert automatic, f"{lab}: no autograded cell was scored"
    assert all(score == maximum for score, maximum, _ in automatic.values()), automatic
    assert manual, f"{lab}: the written answer was not flagged for manual grading"


@pytest.mark.slow
@pytest.mark.parametrize("lab", QUICK_LABS)
def test_stubs_score_zero(autograded: Path, lab: str) -> None:
    scores = grades(autograded, "stubs", lab)

    earned = {name: score for name, (score, _, _) in scores.items() if score}

    assert not earned, f"{lab}: an unanswered notebook earned points in {earned}"
