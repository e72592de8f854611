"""Autograde through a Dask cluster: a local two-process cluster on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster
from nbformat import NotebookNode
from nbgrader.api import Gradebook
from toy_submissions import LAB, TEST_LIMITS, SubmissionKind, make_submission, write_submission

from grader.autograde.pipeline import autograde
from grader.collect import collect
from grader.course import Course

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as running:
        yield running


def test_dask_scheduler_grades(
    cluster: LocalCluster, course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    write_submission(
        tmp_path / "up", "perfect", make_submission(release_notebook, SubmissionKind.PERFECT)
    )
    write_submission(
        tmp_path / "up", "wrong", make_submission(release_notebook, SubmissionKind.WRONG)
    )
    collect(course, LAB, tmp_path / "up")

    summary = autograde(
        course, LAB, limits=TEST_LIMITS, progress=False, dask_scheduler=cluster.scheduler_address
    )

    assert summary.graded == {"perfect": "graded", "wrong": "graded"}
    with Gradebook(course.db_url, course.course_id) as gradebook:
        assert gradebook.find_submission(LAB, "perfect").score == 4.0
        assert gradebook.find_submission(LAB, "wrong").score == 0.0
