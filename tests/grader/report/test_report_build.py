"""build_report and its statistics on records like the grader core produces."""

from __future__ import annotations

import base64
import io
import json
import re

import nbformat
import pytest
from PIL import Image, ImageDraw

from grader.reflection import ReflectionConfig, check_submission
from grader.report import SubmissionRecord, TestRecord, build_report, stats

LAB = "03-training"


def _tests(index: int) -> list[TestRecord]:
    """Test results in which test_load always passes and test_tune passes for one student."""
    return [
        TestRecord("test_load", 1, 1),
        TestRecord("test_tune", 2 if index == 0 else 0, 2, message="AssertionError"),
        TestRecord("test_score", 1 if index % 2 else 0.5, 1),
        TestRecord("test_hidden", None if index == 9 else 1, 1, hidden=True),
    ]


def _records() -> list[SubmissionRecord]:
    records = [
        SubmissionRecord(
            student=f"s{index:02d}",
            lab=LAB,
            status="graded",
            score=sum(test.points or 0 for test in _tests(index)),
            max_score=5,
            seconds=10.0 + index,
            tests=_tests(index),
        )
        for index in range(10)
    ]
    records.append(
        SubmissionRecord(
            "<b>mallory</b>", LAB, "timed_out", None, 5, 95.0, reason="cell 4 timed out"
        )
    )
    records.append(SubmissionRecord("zed", LAB, "quarantined", None, 5))
    return records


def test_pass_rates_flag_extremes():
    rates = {rate.grade_id: rate for rate in stats.pass_rates(_records())}

    assert (rates["test_load"].passed, rates["test_load"].graded) == (10, 10)
    assert rates["test_load"].verdict == "all_pass"
    assert (rates["test_tune"].passed, rates["test_tune"].graded) == (1, 10)
    assert rates["test_tune"].verdict == "most_fail"
    assert (rates["test_score"].passed, rates["test_score"].graded) == (5, 10)
    assert rates["test_score"].verdict == ""
    assert (rates["test_hidden"].passed, rates["test_hidden"].graded) == (9, 9)
    assert rates["test_hidden"].verdict == "all_pass"


def test_time_summary_values():
    (summary,) = stats.time_summaries(_records())

    assert summary.count == 11
    assert summary.median == 15.0
    assert summary.p90 == 19.0
    assert summary.max == 95.0
    assert summary.total == pytest.approx(sum(10.0 + i for i in range(10)) + 95.0)


def test_unknown_status_listed_last():
    assert stats.ordered_statuses(_records())[-1] == "quarantined"
    assert stats.status_counts(_records())[LAB]["timed_out"] == 1


def test_record_status_and_percent():
    assert TestRecord("t", None, 1).status == "not_graded"
    assert TestRecord("t", 0.5, 1).status == "partial"
    assert TestRecord("t", 0, 1).status == "failed"
    assert TestRecord("t", 1, 1).status == "passed"
    assert SubmissionRecord("a", LAB, "graded", 4, 5).percent == 80.0
    assert SubmissionRecord("a", LAB, "missing", None, 5).percent is None


def test_bad_low_pass_rate_rejected(tmp_path):
    with pytest.raises(ValueError) as error:
        build_report([], tmp_path, low_pass_rate=1.5)
    assert str(error.value) == "low_pass_rate must be between 0 and 1, got 1.5"


def _screenshot_notebook(tmp_path, student: str, seed: int) -> SubmissionRecord:
    image = Image.new("RGB", (800, 500), "white")
    draw = ImageDraw.Draw(image)
    for step in range(30):
        offset = (seed * 37 + step * 53) % 700
        draw.rectangle(
            (offset, step * 15, offset + 80, step * 15 + 10), fill=(step * 8, 90, seed * 40)
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    cell = nbformat.v4.new_markdown_cell("![shot](attachment:shot.png)")
    cell.metadata["sagelab"] = {"reflection": "screenshot", "name": "endpoint"}
    cell["attachments"] = {"shot.png": {"image/png": base64.b64encode(buffer.getvalue()).decode()}}
    path = tmp_path / "submitted" / student / "07-reflection" / "reflection.ipynb"
    path.parent.mkdir(parents=True)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [cell]
    path.write_text(json.dumps(notebook))
    reflection = check_submission(path, ReflectionConfig())
    return SubmissionRecord(student, "07-reflection", "graded", 3, 3, 4.0, reflection=reflection)


def _embedded_pngs(page: str) -> list[Image.Image]:
    images = []
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        image.load()
        images.append(image)
    return images


@pytest.mark.slow
def test_report_builds_with_plots(tmp_path):
    records = _records()
    records += [
        _screenshot_notebook(tmp_path, "copy-a", seed=1),
        _screenshot_notebook(tmp_path, "copy-b", seed=1),
        _screenshot_notebook(tmp_path, "honest", seed=3),
    ]

    path = build_report(records, tmp_path / "out")
    page = path.read_text(encoding="utf-8")
    images = _embedded_pngs(page)

    assert path == tmp_path / "out" / "report.html"
    # Two labs with a distribution plot each, one lab with tests, two cluster thumbnails.
    assert len(images) == 2 + 1 + 2
    assert all(image.format == "PNG" for image in images)
    assert images[0].size == (900, 320)
    assert '<tr class="most_fail"><td>test_tune</td><td class="number">1/10</td>' in page
    assert '<tr class="all_pass"><td>test_load</td><td class="number">10/10</td>' in page
    assert "exact image in 07-reflection: copy-a, copy-b" in page
    assert "honest</td>" in page
    assert "&lt;b&gt;mallory&lt;/b&gt;" in page
    assert "cell 4 timed out" in page
    assert '<td class="status-quarantined">quarantined</td>' in page
    time_row = '<td>03-training</td><td class="number">11</td><td class="number">15.0</td>'
    assert time_row in page
    assert re.search(r"<script|<link|src=\"https?:", page) is None


@pytest.mark.slow
def test_report_without_tests_or_clusters(tmp_path):
    records = [SubmissionRecord("solo", LAB, "failed", None, 5, reason="invalid notebook")]

    page = build_report(records, tmp_path, clusters=[]).read_text(encoding="utf-8")

    assert "No duplicate screenshots or texts were found." in page
    assert "invalid notebook" in page
    assert len(_embedded_pngs(page)) == 1
