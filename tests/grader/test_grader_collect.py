"""Collect from folders and LMS zips: what is kept, repaired, dropped and skipped."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from toy_submissions import LAB, SubmissionKind, make_submission, write_submission

from grader.collect import collect
from grader.course import Course
from grader.errors import InvalidInputError, LabNotFoundError
from grader.status import StatusStore


def test_folder_collect_writes_submission(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    write_submission(
        tmp_path / "up", "ana", make_submission(release_notebook, SubmissionKind.PERFECT)
    )
    (tmp_path / "up" / "ana" / LAB / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    report = collect(course, LAB, tmp_path / "up")

    [entry] = report.entries
    assert (entry.student, entry.status, entry.repairs) == ("ana", "collected", [])
    folder = course.submission_dir(LAB, "ana")
    assert sorted(p.name for p in folder.iterdir()) == [f"{LAB}.ipynb", "shot.png", "timestamp.txt"]
    record = StatusStore(course.records_dir / "status.json").get(LAB, "ana")
    assert record.status.value == "collected"
    assert record.digest


def test_symlinks_never_followed(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    write_submission(
        tmp_path / "up", "ben", make_submission(release_notebook, SubmissionKind.PERFECT)
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only", encoding="utf-8")
    os.symlink(secret, tmp_path / "up" / "ben" / LAB / "notes.txt")
    (tmp_path / "up" / "cat").mkdir()
    os.symlink(tmp_path / "up" / "ben" / LAB, tmp_path / "up" / "cat" / LAB)

    report = collect(course, LAB, tmp_path / "up")

    reasons = {Path(s.origin).name: s.reason for s in report.skipped}
    assert reasons["notes.txt"] == "symbolic link ignored"
    assert reasons["cat"] == "symbolic link ignored"
    assert not (course.submission_dir(LAB, "ben") / "notes.txt").exists()
    assert [entry.student for entry in report.entries] == ["ben"]


def test_second_notebook_dropped(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    write_submission(
        tmp_path / "up", "dee", make_submission(release_notebook, SubmissionKind.PERFECT)
    )
    write_submission(tmp_path / "up", "dee", release_notebook, name="scratch.ipynb")

    [entry] = collect(course, LAB, tmp_path / "up").entries

    assert entry.dropped_files == [
        f"scratch.ipynb: a second notebook; only '{LAB}.ipynb' is graded"
    ]


def test_oversized_file_skipped(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    write_submission(
        tmp_path / "up", "eve", make_submission(release_notebook, SubmissionKind.PERFECT)
    )
    (tmp_path / "up" / "eve" / LAB / "data.csv").write_bytes(b"0" * (2 * 1024 * 1024))

    report = collect(course, LAB, tmp_path / "up", max_submission_mb=1)

    [skipped] = report.skipped
    assert skipped.reason == f"file is {2 * 1024 * 1024} bytes, over the {1024 * 1024} byte limit"


def test_corrupt_zip_rejected(course: Course, tmp_path: Path) -> None:
    archive = tmp_path / "download.zip"
    archive.write_bytes(b"PK\x03\x04 not really a zip")

    with pytest.raises(InvalidInputError, match="cannot read the zip file .*download.zip"):
        collect(course, LAB, archive)


def test_zip_names_outside_pattern_skipped(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    archive = tmp_path / "download.zip"
    text = nbformat.writes(make_submission(release_notebook, SubmissionKind.PERFECT))
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(f"my {LAB}.ipynb", text)
        bundle.writestr("inner.zip", b"PK")
        bundle.writestr(f"okafor_12_34_{LAB}.ipynb", text)
        bundle.writestr("okafor_12_34_numpy.py", "x = 1\n")

    report = collect(course, LAB, archive)

    reasons = {s.origin: s.reason for s in report.skipped}
    assert reasons[f"download.zip:my {LAB}.ipynb"].startswith(
        "name does not follow the LMS pattern"
    )
    assert reasons["download.zip:inner.zip"] == "nested archive ignored"
    [entry] = report.entries
    assert entry.student == "12"
    assert entry.dropped_files == ["numpy.py: would shadow the installed module 'numpy'"]


def test_rejected_upload_replaces_older_copy(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    write_submission(
        tmp_path / "up", "fay", make_submission(release_notebook, SubmissionKind.PERFECT)
    )
    collect(course, LAB, tmp_path / "up")
    (tmp_path / "up" / "fay" / LAB / f"{LAB}.ipynb").write_text("not json", encoding="utf-8")

    [entry] = collect(course, LAB, tmp_path / "up").entries

    assert entry.status == "rejected"
    assert not course.submission_dir(LAB, "fay").exists()
    record = StatusStore(course.records_dir / "status.json").get(LAB, "fay")
    assert record.status.value == "failed"
    assert record.reason.startswith(f"rejected by collect: {LAB}.ipynb is not valid JSON")


def test_collect_unreleased_lab(course: Course, tmp_path: Path) -> None:
    with pytest.raises(LabNotFoundError, match="lab '09-none' has not been released"):
        collect(course, "09-none", tmp_path)


def test_malformed_cells_rejected_not_fatal(
    course: Course, release_notebook: NotebookNode, tmp_path: Path
) -> None:
    perfect = make_submission(release_notebook, SubmissionKind.PERFECT)
    write_submission(tmp_path / "up", "gus", perfect)
    odd = tmp_path / "up" / "hal" / LAB / f"{LAB}.ipynb"
    odd.parent.mkdir(parents=True)
    odd.write_text(
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", '
        '"metadata": [], "source": 7, "outputs": 3}]}',
        encoding="utf-8",
    )

    report = collect(course, LAB, tmp_path / "up")

    statuses = {entry.student: entry.status for entry in report.entries}
    assert statuses == {"gus": "collected", "hal": "rejected"}
    hal = next(entry for entry in report.entries if entry.student == "hal")
    assert hal.reason
