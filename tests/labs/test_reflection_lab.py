"""The reflection lab's cells carry the metadata that grader.reflection looks for."""

from __future__ import annotations

from pathlib import Path

from lab_helpers import LABS

from grader.reflection import ReflectionConfig, check_submission

LAB = "07-reflection"


def rubric_points(notebook: Path) -> dict[str, float]:
    result = check_submission(notebook, ReflectionConfig(), student="tests", lab=LAB)
    return {score.line.value: score.points for cell in result.cells for score in cell.rubric}


def test_sample_answer_passes_check() -> None:
    points = rubric_points(LABS / LAB / f"{LAB}.ipynb")

    assert points == {
        "screenshot_present": 1.0,
        "screenshot_size": 1.0,
        "screenshot_not_blank": 1.0,
        "text_length": 1.0,
    }


def test_student_version_scores_nothing(released_course: Path) -> None:
    points = rubric_points(released_course / "release" / LAB / f"{LAB}.ipynb")

    assert points["screenshot_present"] == 0
    assert points["text_length"] == 0
