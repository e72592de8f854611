"""Collect, autograde, rerun, export and interrupt through the real pipeline."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbgrader.api import Gradebook
from toy_submissions import (
    LAB,
    TEST_LIMITS,
    SubmissionKind,
    copy_course,
    make_submission,
    write_submission,
)

from grader.autograde import merge as merge_module
from grader.autograde import pipeline
from grader.autograde.merge import log_path
from grader.autograde.pipeline import autograde
from grader.collect import collect
from grader.course import Course
from grader.errors import ExitCode
from grader.export import export_canvas, export_csv
from grader.status import StatusStore

pytestmark = pytest.mark.slow

KINDS = {
    "perfect": SubmissionKind.PERFECT,
    "partial": SubmissionKind.PARTIAL,
    "wrong": SubmissionKind.WRONG,
    "empty": SubmissionKind.EMPTY,
}


def _upload_all(folder: Path, release: NotebookNode) -> None:
    for student, kind in KINDS.items():
        write_submission(folder, student, make_submission(release, kind))


def _run(course: Course, **options: object) -> pipeline.AutogradeSummary:
    return autograde(course, LAB, jobs=2, limits=TEST_LIMITS, progress=False, **options)


@pytest.fixture(scope="module")
def graded(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Course:
    """One graded course shared by the read-only tests: the fixture class plus edge cases."""
    root = tmp_path_factory.mktemp("graded")
    course = copy_course(released_course, root)
    release = nbformat.read(course.release_notebook(LAB), as_version=4)
    uploads = root / "uploads"
    _upload_all(uploads, release)
    writer = make_submission(release, SubmissionKind.PERFECT)
    writer.cells[-1].source = "It averages each column of the array."
    write_submission(uploads, "writer", writer)
    restorer = make_submission(release, SubmissionKind.PERFECT)
    restorer.cells = [cell for cell in restorer.cells if _grade_id(cell) != "test_means"]
    restorer.cells[0].source = "# My lab"
    write_submission(uploads, "restorer", restorer)
    (uploads / "broken" / LAB).mkdir(parents=True)
    (uploads / "broken" / LAB / f"{LAB}.ipynb").write_text("{", encoding="utf-8")
    collect(course, LAB, uploads)
    with Gradebook(course.db_url, course.course_id) as gradebook:
        gradebook.update_or_create_student("absent")
    _run(course)
    return course


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _scores(course: Course) -> dict[str, float]:
    with Gradebook(course.db_url, course.course_id) as gradebook:
        return {student: gradebook.find_submission(LAB, student).score for student in KINDS}


def test_fixture_class_scores(graded: Course) -> None:
    store = StatusStore(graded.records_dir / "status.json")

    assert {s: store.get(LAB, s).status.value for s in KINDS} == dict.fromkeys(KINDS, "graded")
    assert _scores(graded) == {student: kind.value for student, kind in KINDS.items()}
    assert store.get(LAB, "empty").cells["explain"].auto_score == 0.0
    assert (graded.autograded_dir / "perfect" / LAB / f"{LAB}.ipynb").is_file()
    log_text = log_path(graded, LAB, "perfect").read_text(encoding="utf-8")
    assert log_text.startswith(f"lab={LAB} student=perfect outcome=graded")
    assert "Autograding" in log_text


def test_rerun_grades_only_changes(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    _upload_all(uploads, release_notebook)
    collect(course, LAB, uploads)
    _run(course)
    with Gradebook(course.db_url, course.course_id) as gradebook:
        grade = gradebook.find_grade("explain", LAB, LAB, "perfect")
        grade.manual_score = 1.0
        gradebook.db.commit()

    write_submission(uploads, "wrong", make_submission(release_notebook, SubmissionKind.PERFECT))
    collect(course, LAB, uploads)
    second = _run(course)

    assert second.graded == {"wrong": "graded"}
    assert sorted(second.skipped) == ["empty", "partial", "perfect"]
    assert _scores(course)["wrong"] == 4.0
    assert _scores(course)["perfect"] == 5.0  # the manual point survives

    third = _run(course, force=True)

    assert len(third.graded) == 4
    assert _scores(course)["perfect"] == 5.0


def test_written_answer_needs_manual_grade(graded: Course) -> None:
    record = StatusStore(graded.records_dir / "status.json").get(LAB, "writer")

    assert record.cells["explain"].auto_score is None
    assert record.cells["explain"].needs_manual_grade is True


def test_missing_student_on_roster(graded: Course) -> None:
    record = StatusStore(graded.records_dir / "status.json").get(LAB, "absent")

    assert record.status.value == "missing"
    assert record.reason == "no submission"


def test_newest_zip_upload_kept(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    archive = tmp_path / "download.zip"
    wrong = nbformat.writes(make_submission(release_notebook, SubmissionKind.WRONG))
    perfect = nbformat.writes(make_submission(release_notebook, SubmissionKind.PERFECT))
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(
            zipfile.ZipInfo(f"roelofsmia_77_500_{LAB}.ipynb", (2026, 3, 1, 9, 0, 0)), wrong
        )
        bundle.writestr(
            zipfile.ZipInfo(f"roelofsmia_LATE_77_501_{LAB}-1.ipynb", (2026, 3, 2, 9, 0, 0)), perfect
        )

    report = collect(course, LAB, archive)
    _run(course)

    entry = report.entries[0]
    assert entry.origin == f"download.zip:roelofsmia_LATE_77_501_{LAB}-1.ipynb"
    assert entry.older == [f"download.zip:roelofsmia_77_500_{LAB}.ipynb"]
    record = StatusStore(course.records_dir / "status.json").get(LAB, "77")
    assert record.timestamp == "2026-03-02T09:00:00+00:00"
    assert "collect: submitted late" in record.flags
    assert record.auto_score == 4.0


def test_exports(graded: Course, tmp_path: Path) -> None:
    rows = list(csv.DictReader(export_csv(graded, tmp_path / "grades.csv").open()))
    canvas = list(csv.reader(export_canvas(graded, tmp_path / "canvas.csv").open()))

    by_student = {row["student"]: row for row in rows}
    assert by_student["partial"][f"{LAB} score"] == "2"
    assert by_student["partial"][f"{LAB}:test_add"] == "2"
    assert by_student["partial"][f"{LAB}:test_means"] == "0"
    assert by_student["broken"][f"{LAB} status"] == "failed"
    assert by_student["broken"][f"{LAB} score"] == ""
    assert by_student["absent"][f"{LAB} status"] == "missing"
    assert by_student["writer"][f"{LAB} needs manual grade"] == "yes"
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", LAB]
    assert canvas[1] == ["Points Possible", "", "", "", "", "5"]
    assert ["perfect", "perfect", "perfect", "", "", "4"] in canvas


def test_interrupt_keeps_merged_results(
    course: Course, release_notebook: NotebookNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _upload_all(tmp_path / "uploads", release_notebook)
    collect(course, LAB, tmp_path / "uploads")
    real_merge = merge_module.merge_result
    calls = []

    def merge_then_interrupt(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_merge(*args, **kwargs)

    monkeypatch.setattr(pipeline, "merge_result", merge_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        _run(course)
    monkeypatch.setattr(pipeline, "merge_result", real_merge)

    store = StatusStore(course.records_dir / "status.json")
    graded = [s for s in KINDS if store.get(LAB, s) and store.get(LAB, s).graded_at]
    assert len(graded) == 1
    rerun = _run(course)
    assert sorted(rerun.graded) == sorted(set(KINDS) - set(graded))
    assert _scores(course) == {student: kind.value for student, kind in KINDS.items()}


def test_feedback_hides_hidden_tests(graded: Course) -> None:
    pytest.importorskip("grader.feedback")
    from grader.views import write_feedback

    [page] = write_feedback(graded, LAB, ["perfect"])

    html = page.read_text(encoding="utf-8")
    assert page == graded.feedback_dir / "perfect" / LAB / f"{LAB}.html"
    assert "test_add" in html
    assert "add(10, 32)" not in html


def test_report_written(graded: Course, tmp_path: Path) -> None:
    pytest.importorskip("grader.report")
    from grader.views import write_report

    page = write_report(graded, LAB, tmp_path / "report")

    html = page.read_text(encoding="utf-8")
    assert page.is_file()
    assert "absent" in html
    assert "broken" in html
    assert "rejected by collect" in html


def test_cli_autograde_and_status(
    course: Course,
    release_notebook: NotebookNode,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from grader.cli import main

    crash = make_submission(release_notebook, SubmissionKind.PERFECT)
    crash.cells[2].source += "\nimport os\nos._exit(3)"
    write_submission(tmp_path / "up", "crasher", crash)
    write_submission(
        tmp_path / "up", "fine", make_submission(release_notebook, SubmissionKind.PARTIAL)
    )
    options = ["--course", str(course.root), "--labs", str(course.labs_dir)]
    assert main(["collect", LAB, str(tmp_path / "up"), *options]) == 0

    code = main(["autograde", LAB, "--jobs", "2", "--cell-timeout", "5", "--no-progress", *options])

    captured = capsys.readouterr()
    assert code == 5
    assert "graded 2 in" in captured.out
    assert "1 submission(s) need attention: crasher" in captured.err
    assert main(["status", LAB, *options]) == ExitCode.SUBMISSIONS_FAILED
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"{LAB}: 2 submission(s)"
    assert lines[1].split()[:3] == ["crasher", "kernel_died", "0/5"]
    assert lines[2].split()[:3] == ["fine", "graded", "2/5"]
    assert f"error: 1 submission(s) need attention: {LAB}/crasher (kernel_died)" in captured.err


def _options(course: Course) -> list[str]:
    return ["--course", str(course.root), "--labs", str(course.labs_dir)]


def test_lab_without_reflections_unflagged(graded: Course) -> None:
    store = StatusStore(graded.records_dir / "status.json")

    for student, record in store.lab(LAB).items():
        assert not [flag for flag in record.flags if "no_reflection_cells" in flag], student


def test_lab_has_reflection_cells(tmp_path: Path) -> None:
    from grader.integrations import lab_has_reflection_cells

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Why?")])
    plain = tmp_path / "plain.ipynb"
    nbformat.write(notebook, plain)
    notebook.cells[0].metadata["sagelab"] = {"reflection": "text"}
    marked = tmp_path / "marked.ipynb"
    nbformat.write(notebook, marked)

    assert lab_has_reflection_cells(plain) is False
    assert lab_has_reflection_cells(marked) is True


def test_status_unknown_lab(graded: Course, capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli import main

    code = main(["status", "02-nope", *_options(graded)])

    assert code == ExitCode.NOT_FOUND
    assert capsys.readouterr().err == (
        f"error: lab '02-nope' not found in {graded.root}; known labs: {LAB}\n"
    )


def test_status_lists_every_repair(graded: Course, capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli import main

    code = main(["status", LAB, *_options(graded)])

    text = capsys.readouterr()
    assert code == ExitCode.SUBMISSIONS_FAILED
    assert "restorer             repaired        4/5" in text.out
    assert "      repaired: restored the deleted cell 'test_means' from the release" in text.out
    assert "      repaired: restored the edited read-only cell 'intro'" in text.out
    assert f"{LAB}/broken (failed)" in text.err
    assert f"{LAB}/absent (missing)" in text.err
    assert f"{LAB}/restorer" not in text.err


def test_export_reason_lists_repairs(graded: Course, tmp_path: Path) -> None:
    rows = list(csv.DictReader(export_csv(graded, tmp_path / "grades.csv").open()))

    reason = {row["student"]: row for row in rows}["restorer"][f"{LAB} reason"]
    assert "repaired: restored the deleted cell 'test_means' from the release" in reason
    assert "repaired: restored the edited read-only cell 'intro'" in reason


def test_scores_capped_at_maximum(
    graded: Course, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from grader.cli import main

    course = copy_course(graded.root.parent, tmp_path)
    with Gradebook(course.db_url, course.course_id) as gradebook:
        gradebook.find_grade("test_add", LAB, LAB, "partial").manual_score = 999
        gradebook.db.commit()

    rows = list(csv.DictReader(export_csv(course, tmp_path / "grades.csv").open()))
    code = main(["status", LAB, *_options(course)])

    partial = {row["student"]: row for row in rows}["partial"]
    assert partial[f"{LAB}:test_add"] == "2"
    assert partial[f"{LAB} score"] == "2"
    flag = "test_add: gradebook score 999 is above the cell maximum 2; counted as 2"
    assert partial[f"{LAB} reason"] == flag
    text = capsys.readouterr()
    assert f"      flag: {flag}" in text.out
    assert code == ExitCode.SUBMISSIONS_FAILED
    assert f"{LAB}/partial (graded)" in text.err
