"""The hostile and malformed submission catalogue, graded in one batch with honest students.

Every case lives in ``files/hostile/`` and is collected and autograded with two honest
students (perfect and partial) through the real pipeline: nbgrader, sandboxed kernels,
two workers. Each test checks one case's status and score, and that the honest students'
grades are exactly what their code earns.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from toy_submissions import (
    FILES,
    LAB,
    TEST_LIMITS,
    SubmissionKind,
    copy_course,
    make_submission,
    requires_namespaces,
    write_submission,
)

from grader.autograde.pipeline import autograde
from grader.collect import CollectReport, collect
from grader.course import Course
from grader.status import StatusStore, SubmissionRecord

pytestmark = pytest.mark.slow

HOSTILE = FILES / "hostile"
HONEST = {"honest-perfect": SubmissionKind.PERFECT, "honest-partial": SubmissionKind.PARTIAL}
ZIP_STUDENT = "4242"
# 100 MB of output needs a few seconds of kernel time on a busy two-core machine.
BATCH_LIMITS = dataclasses.replace(TEST_LIMITS, cell_timeout=10)

# case -> (status, automatic score out of 4)
EXPECTED = {
    "infinite-loop": ("timed_out", 4.0),
    "sigint-ignored-loop": ("timed_out", 0.0),
    "memory-bomb": ("graded", 4.0),
    "fork-bomb": ("graded", 4.0),
    "os-exit": ("kernel_died", 0.0),
    "sys-exit": ("graded", 2.0),
    "segfault": ("kernel_died", 0.0),
    "input-transformer": ("tamper_suspect", 0.0),
    "ast-transformer": ("tamper_suspect", 0.0),
    "always-equal": ("graded", 2.0),
    "monkeypatch-numpy": ("tamper_suspect", 0.0),
    "monkeypatch-pandas": ("tamper_suspect", 0.0),
    "read-hidden-tests": ("graded", 4.0),
    "write-gradebook": ("graded", 4.0),
    "detached-process": ("graded", 4.0),
    "network": ("graded", 4.0),
    "local-server": ("graded", 4.0),
    "huge-output": ("graded", 4.0),
    "big-file": ("graded", 4.0),
    "showtraceback": ("graded", 2.0),
    "duplicate-grade-ids": ("repaired", 4.0),
    "edited-test-cell": ("repaired", 2.0),
    "deleted-test-cell": ("repaired", 2.0),
    "stripped-metadata": ("repaired", 4.0),
    "schema-version-4": ("repaired", 4.0),
    "points-changed": ("repaired", 4.0),
    "cell-type-changed": ("repaired", 2.0),
    "fake-outputs": ("graded", 0.0),
    "renamed-notebook": ("repaired", 4.0),
    "shadowing-module": ("repaired", 4.0),
    "nbformat-3": ("repaired", 4.0),
    "invalid-json": ("failed", 0.0),
    "not-a-notebook": ("failed", 0.0),
    "nbformat-5": ("failed", 0.0),
}


class _Listener:
    """A TCP server on 127.0.0.1 that records every connection it accepts."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.server.close()


@dataclass
class Batch:
    course: Course
    store: StatusStore
    folder_report: CollectReport
    zip_report: CollectReport
    connections: int
    outside: Path


@pytest.fixture(scope="module")
def batch(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    root = tmp_path_factory.mktemp("hostile")
    course = copy_course(released_course, root)
    release = nbformat.read(course.release_notebook(LAB), as_version=4)
    uploads = root / "uploads"
    for student, kind in HONEST.items():
        write_submission(uploads, student, make_submission(release, kind))
    for case in HOSTILE.iterdir():
        if case.is_dir():
            shutil.copytree(case, uploads / case.name / LAB)

    listener = _Listener()
    (uploads / "network" / LAB / "port.txt").write_text(str(listener.port), encoding="utf-8")
    outside = root / "zip-extract-check"
    outside.mkdir()
    shutil.copy(HOSTILE / "zip-slip.zip", outside / "download.zip")
    try:
        folder_report = collect(course, LAB, uploads)
        zip_report = collect(course, LAB, outside / "download.zip")
        autograde(course, LAB, jobs=2, limits=BATCH_LIMITS, progress=False)
    finally:
        listener.close()
    store = StatusStore(course.records_dir / "status.json")
    yield Batch(course, store, folder_report, zip_report, listener.accepted, outside)


def _record(batch: Batch, student: str) -> SubmissionRecord:
    record = batch.store.get(LAB, student)
    assert record is not None, f"no record for {student}"
    return record


def _auto_score(record: SubmissionRecord) -> float:
    return sum(cell.auto_score or 0.0 for cell in record.cells.values() if cell.kind == "test")


def _gradebook_scores(course: Course, student: str) -> dict[str, float | None]:
    with Gradebook(course.db_url, course.course_id) as gradebook:
        submission = gradebook.find_submission(LAB, student)
        return {
            grade.name: grade.score
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


def _cell_output(course: Course, student: str, grade_id: str) -> str:
    notebook = nbformat.read(course.autograded_dir / student / LAB / f"{LAB}.ipynb", as_version=4)
    cell = next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    )
    return "".join(out.get("text", "") + out.get("evalue", "") for out in cell.get("outputs", []))


def _assert_honest_untouched(batch: Batch) -> None:
    expected = {
        "honest-perfect": {"test_add": 2.0, "test_means": 2.0},
        "honest-partial": {"test_add": 2.0, "test_means": 0.0},
    }
    for student, scores in expected.items():
        record = _record(batch, student)
        assert record.status.value == "graded"
        gradebook = _gradebook_scores(batch.course, student)
        for grade_id, score in scores.items():
            assert gradebook[grade_id] == score, f"{student} {grade_id}"
        assert gradebook["explain"] == 0.0


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_hostile_case_status_and_score(batch: Batch, case: str) -> None:
    status, score = EXPECTED[case]
    record = _record(batch, case)

    assert record.status.value == status, record.reason or record.flags
    assert _auto_score(record) == score
    if status != "failed":
        assert (
            _gradebook_scores(batch.course, case)["test_add"] == record.cells["test_add"].auto_score
        )
    _assert_honest_untouched(batch)


def test_hostile_catalogue_size() -> None:
    assert len(EXPECTED) + 1 >= 25  # the zip-slip download is the extra case
    assert sorted(EXPECTED) == sorted(p.name for p in HOSTILE.iterdir() if p.is_dir())


def test_failed_cases_name_reason(batch: Batch) -> None:
    assert "is not valid JSON" in _record(batch, "invalid-json").reason
    assert "not UTF-8" in _record(batch, "not-a-notebook").reason
    assert "nbformat 5" in _record(batch, "nbformat-5").reason
    for case in ("invalid-json", "not-a-notebook", "nbformat-5"):
        assert not (batch.course.submitted_dir / case).exists()


def test_zip_slip_entries_ignored(batch: Batch) -> None:
    reasons = {
        skipped.origin.split(":", 1)[1]: skipped.reason for skipped in batch.zip_report.skipped
    }

    assert "zip slip" in reasons[f"../../evil_4343_9002_{LAB}.ipynb"]
    assert "zip slip" in reasons[f"/tmp/absolute_4444_9003_{LAB}.ipynb"]
    assert reasons[f"linker_4545_9004_{LAB}.ipynb"] == "symbolic link ignored"
    assert [entry.student for entry in batch.zip_report.entries] == [ZIP_STUDENT]
    assert _record(batch, ZIP_STUDENT).status.value == "graded"
    assert _auto_score(_record(batch, ZIP_STUDENT)) == 4.0
    assert not list(batch.outside.parent.rglob("evil*"))
    assert batch.store.students[ZIP_STUDENT] == {"name": "doejane", "lms_user_id": ZIP_STUDENT}


def test_repairs_reported(batch: Batch) -> None:
    assert any(
        "repeated grade id 'test_add'" in r for r in _record(batch, "duplicate-grade-ids").repairs
    )
    assert any(
        "restored the deleted cell 'test_add'" in r
        for r in _record(batch, "deleted-test-cell").repairs
    )
    assert any(
        "restored the edited read-only cell 'test_add'" in r
        for r in _record(batch, "edited-test-cell").repairs
    )
    assert any("schema_version 4 -> 3" in r for r in _record(batch, "schema-version-4").repairs)
    assert any("re-identified" in r for r in _record(batch, "stripped-metadata").repairs)
    assert any(
        "renamed '01-toy (1).ipynb'" in r for r in _record(batch, "renamed-notebook").repairs
    )
    assert "upgraded nbformat 3 to 4.5" in _record(batch, "nbformat-3").repairs
    assert _record(batch, "points-changed").max_score == 5.0


def test_shadowing_module_dropped(batch: Batch) -> None:
    dropped = _record(batch, "shadowing-module").dropped_files

    assert "numpy.py: would shadow the installed module 'numpy'" in dropped
    assert "helper_shadow.py: file type '.py' is not accepted" in dropped
    assert not (batch.course.submitted_dir / "shadowing-module" / LAB / "numpy.py").exists()


def test_huge_output_truncated(batch: Batch) -> None:
    notebook = batch.course.autograded_dir / "huge-output" / LAB / f"{LAB}.ipynb"

    assert notebook.stat().st_size < 2 * 1024 * 1024
    assert "output truncated" in _cell_output(batch.course, "huge-output", "add_answer")


def test_memory_bomb_hits_limit(batch: Batch) -> None:
    assert "MemoryError" in nbformat.read(
        batch.course.autograded_dir / "memory-bomb" / LAB / f"{LAB}.ipynb", as_version=4
    ).cells[2].outputs[-1].get("ename", "")


def test_tamper_flags_name_the_cause(batch: Batch) -> None:
    assert (
        "test cell 'test_add' did not run as written" in _record(batch, "input-transformer").flags
    )
    assert "test cell 'test_add' did not run as written" in _record(batch, "ast-transformer").flags
    numpy_flags = _record(batch, "monkeypatch-numpy").flags
    assert "test cell 'test_means' found numpy.testing.assert_allclose replaced" in numpy_flags
    pandas_flags = _record(batch, "monkeypatch-pandas").flags
    assert "test cell 'test_add' found pandas.testing.assert_frame_equal replaced" in pandas_flags


def test_time_and_crash_reasons(batch: Batch) -> None:
    assert "the kernel died in cell 2" in _record(batch, "os-exit").reason
    assert "the kernel died in cell 2" in _record(batch, "segfault").reason
    assert "ignored the interrupt" in _record(batch, "sigint-ignored-loop").reason
    assert "interrupted" in _record(batch, "infinite-loop").reason


def test_gradebook_not_writable_from_kernel(batch: Batch) -> None:
    with Gradebook(batch.course.db_url, batch.course.course_id) as gradebook:
        for student in gradebook.students:
            for submission in student.submissions:
                for notebook in submission.notebooks:
                    assert all(grade.manual_score is None for grade in notebook.grades)


@requires_namespaces
def test_hidden_tests_unreadable(batch: Batch) -> None:
    output = _cell_output(batch.course, "read-hidden-tests", "means_answer")

    assert "search done" in output
    assert "LEAKED" not in output
    assert "AWS_" not in output


@requires_namespaces
def test_network_connection_blocked(batch: Batch) -> None:
    output = _cell_output(batch.course, "network", "means_answer")

    assert batch.connections == 0
    assert "blocked:" in output
    assert "CONNECTED" not in output


def test_private_loopback_works(batch: Batch) -> None:
    assert "LOOPBACK pong" in _cell_output(batch.course, "local-server", "means_answer")


@requires_namespaces
def test_fork_loop_stopped_by_limit(batch: Batch) -> None:
    output = _cell_output(batch.course, "fork-bomb", "means_answer")
    started = int(output.split("children started:")[1].split()[0])

    assert "fork stopped: BlockingIOError" in output
    assert started < TEST_LIMITS.processes


def test_detached_processes_killed(batch: Batch) -> None:
    survivors = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"sagelab-detached-marker-7f3" in command:
                survivors.append(entry)
    assert survivors == []
