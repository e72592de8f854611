"""The worker alone: gradebook claims beyond the run, the canary, and process cleanup."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.api import Gradebook
from toy_submissions import LAB, TEST_LIMITS, SubmissionKind, make_submission

from grader.autograde import proctree
from grader.autograde.canary import Canary, CanaryVerify
from grader.autograde.job import GradeJob
from grader.autograde.merge import merge_result
from grader.autograde.sandbox import detect_isolation
from grader.autograde.worker import Worker
from grader.course import Course
from grader.defaults import SandboxSettings
from grader.gradebook import template_gradebook
from grader.status import SubmissionRecord

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def _job(course: Course, notebook: NotebookNode, gradebook: bytes) -> GradeJob:
    return GradeJob(
        lab=LAB,
        student="alice",
        notebook_name=f"{LAB}.ipynb",
        submission={f"{LAB}.ipynb": nbformat.writes(notebook).encode()},
        support_files={"data.csv": (course.source_dir / LAB / "data.csv").read_bytes()},
        gradebook=gradebook,
        course_id=course.course_id,
        limits=TEST_LIMITS,
        sandbox=SandboxSettings(),
        isolation=detect_isolation(),
        check_reflections=False,
    )


def _gradebook_with_claim(course: Course) -> bytes:
    """Return a template gradebook in which alice already has a manual score of 99."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gradebook.db"
        path.write_bytes(template_gradebook(course.gradebook_path))
        with Gradebook(f"sqlite:///{path}", course.course_id) as gradebook:
            gradebook.update_or_create_student("alice")
            gradebook.update_or_create_submission(LAB, "alice")
            gradebook.find_grade("test_add", LAB, LAB, "alice").manual_score = 99
            gradebook.db.commit()
        return path.read_bytes()


@pytest.mark.slow
def test_worker_claims_ignored(course: Course, release_notebook: NotebookNode) -> None:
    notebook = make_submission(release_notebook, SubmissionKind.PARTIAL)
    worker = Worker()
    try:
        result = worker.grade(_job(course, notebook, _gradebook_with_claim(course)))
    finally:
        worker.close()

    assert "worker gradebook claims manual score 99.0 for test_add; ignored" in result.flags
    assert {cell.grade_id: cell.auto_score for cell in result.cells} == {
        "test_add": 2.0,
        "test_means": 0.0,
        "explain": 0.0,
    }
    merge_result(course, result, SubmissionRecord(), "digest")
    with Gradebook(course.db_url, course.course_id) as gradebook:
        grade = gradebook.find_grade("test_add", LAB, LAB, "alice")
        assert grade.manual_score is None
        assert grade.auto_score == 2.0


def test_template_gradebook_has_no_students(course: Course) -> None:
    with Gradebook(course.db_url, course.course_id) as gradebook:
        gradebook.update_or_create_student("bob")
        gradebook.update_or_create_submission(LAB, "bob")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copy.db"
        path.write_bytes(template_gradebook(course.gradebook_path))
        db = sqlite3.connect(path)
        assert db.execute("SELECT COUNT(*) FROM student").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM grade").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM grade_cells").fetchone()[0] == 3


def test_canary_keeps_final_expression() -> None:
    canary = Canary()
    source = canary.instrument("score = 1.5\nscore")

    assert source.splitlines()[-1] == f"_sagelab_value_{canary.nonce[:8]}"
    assert canary.nonce in source


def _test_cell(outputs: list) -> NotebookNode:
    cell = new_code_cell("1")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "grade_id": "t",
        "points": 2,
        "schema_version": 3,
    }
    cell.outputs = outputs
    return cell


def test_canary_verify_rules() -> None:
    canary = Canary()
    canary.originals["t"] = "1"
    verify = CanaryVerify(canary)

    ran = _test_cell([new_output("stream", name="stdout", text=f"{canary.nonce}\n")])
    verify.preprocess_cell(ran, {}, 0)
    failed = _test_cell([new_output("error", ename="AssertionError", evalue="", traceback=[])])
    verify.preprocess_cell(failed, {}, 0)
    assert canary.tampered == []
    assert ran.outputs == []

    blank = _test_cell([])
    verify.preprocess_cell(blank, {}, 0)
    assert canary.tampered == ["t"]
    assert blank.outputs[-1].ename == "GraderTamperSuspected"


def test_canary_caps_partial_credit() -> None:
    canary = Canary()
    canary.originals["t"] = "1"
    cell = _test_cell(
        [
            new_output("stream", name="stdout", text=f"{canary.nonce}\n"),
            new_output("execute_result", data={"text/plain": "7.5"}, execution_count=1),
        ]
    )

    CanaryVerify(canary).preprocess_cell(cell, {}, 0)

    assert cell.outputs[-1]["data"]["text/plain"] == "2.0"
    assert "test cell 't' returned 7.5 points, capped at 2" in canary.flags


def test_kill_descendants_finds_detached() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, time\n"
            "subprocess.Popen(['sleep', '60'], start_new_session=True)\n"
            "time.sleep(60)",
        ]
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(proctree.descendants(parent.pid)) < 1:
        time.sleep(0.05)

    assert proctree.descendants(parent.pid)
    killed = proctree.kill_descendants(parent.pid)
    proctree.kill_pid(parent.pid)
    parent.wait()

    assert killed >= 1
    assert proctree.descendants(parent.pid) == []


def test_isolation_mode_named() -> None:
    isolation = detect_isolation()

    assert isolation.mode in ("namespaces", "guard")
    assert isolation.description.startswith(isolation.mode)
    assert detect_isolation("guard").mode == "guard"


@pytest.mark.slow
def test_guard_mode_grades_and_blocks_network(
    course: Course, release_notebook: NotebookNode
) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    notebook = make_submission(release_notebook, SubmissionKind.PERFECT)
    notebook.cells[3].source += (
        "\nimport socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', int(open('port.txt').read())), timeout=2)\n"
        "    print('CONNECTED')\n"
        "except OSError as error:\n"
        "    print('blocked:', type(error).__name__)"
    )
    job = _job(course, notebook, template_gradebook(course.gradebook_path))
    job.isolation = detect_isolation("guard")
    job.submission["port.txt"] = str(server.getsockname()[1]).encode()
    worker = Worker()
    try:
        result = worker.grade(job)
    finally:
        worker.close()

    with pytest.raises(TimeoutError):
        server.accept()
    server.close()
    assert result.outcome == "graded", result.reason
    assert sum(cell.auto_score or 0 for cell in result.cells) == 4.0
    graded = nbformat.reads(result.autograded_files[f"{LAB}.ipynb"].decode(), as_version=4)
    output = "".join(out.get("text", "") for out in graded.cells[3].outputs)
    assert "blocked:" in output
    assert "CONNECTED" not in output
