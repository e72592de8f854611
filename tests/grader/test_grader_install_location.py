"""Grading from a project and virtual environment under /tmp, and kernels that die at start.

CI clones the repository into a fresh folder that may be under /tmp. The namespaces sandbox
gives the kernel a private /tmp, which must not hide an installation that lives there.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from toy_submissions import (
    FILES,
    LAB,
    TEST_LIMITS,
    SubmissionKind,
    make_submission,
    requires_namespaces,
    write_submission,
)

from grader.autograde.job import GradeJob
from grader.autograde.sandbox import SYSTEM_PATHS, check_read_only_paths, detect_isolation
from grader.autograde.worker import Worker
from grader.course import Course
from grader.defaults import SandboxSettings
from grader.errors import InvalidInputError
from grader.gradebook import template_gradebook
from grader.status import StatusStore

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

REPOSITORY = Path(__file__).resolve().parents[2]
PACKAGES = ("grader", "sagelab", "sandbox")


@pytest.fixture
def under_tmp() -> Iterator[Path]:
    """A folder directly under /tmp, whatever TMPDIR is set to."""
    folder = Path(tempfile.mkdtemp(prefix="sgl-install-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _make_project(base: Path) -> Path:
    """Copy the course packages under ``base`` and return a venv that imports them from there.

    The venv's ``.pth`` file puts the copied packages first and adds this environment's
    site-packages for the third-party packages, so nothing the kernel needs is outside
    ``base`` except the Python installation and those packages.
    """
    project = base / "project"
    for package in PACKAGES:
        shutil.copytree(
            REPOSITORY / package,
            project / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = venv / "lib" / version / "site-packages"
    (site_packages / "sagelab-project.pth").write_text(
        f"{project}\n{site.getsitepackages()[0]}\n", encoding="utf-8"
    )
    return venv / "bin" / "python"


def _grader(python: Path, base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(python), "-m", "grader", *args]
    command += ["--course", str(base / "course"), "--labs", str(base / "labs")]
    # nbgrader runs the `alembic` executable, which only this environment's bin folder has.
    path = os.pathsep.join([str(python.parent), str(Path(sys.executable).parent), "/usr/bin:/bin"])
    env = {**os.environ, "PATH": path}
    return subprocess.run(command, cwd=base, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_grades_from_project_under_tmp(under_tmp: Path) -> None:
    python = _make_project(under_tmp)
    shutil.copytree(FILES / "labs", under_tmp / "labs")
    mode = "namespaces" if detect_isolation().mode == "namespaces" else "guard"
    location = subprocess.run(
        [str(python), "-c", "import grader, sagelab, ipykernel; print(grader.__file__)"],
        cwd=under_tmp,
        capture_output=True,
        text=True,
        check=True,
    )
    assert location.stdout.startswith(str(under_tmp / "project"))

    released = _grader(python, under_tmp, "release", LAB)
    assert released.returncode == 0, released.stderr
    course = Course.open(under_tmp / "course", under_tmp / "labs")
    release = nbformat.read(course.release_notebook(LAB), as_version=4)
    uploads = under_tmp / "uploads"
    write_submission(uploads, "perfect", make_submission(release, SubmissionKind.PERFECT))
    collected = _grader(python, under_tmp, "collect", LAB, str(uploads))
    assert collected.returncode == 0, collected.stderr

    limits = ["--cell-timeout", "20", "--notebook-timeout", "120", "--memory-mb", "512"]
    graded = _grader(
        python, under_tmp, "autograde", LAB, "--jobs", "1", "--isolation", mode, "--no-progress",
        *limits,
    )  # fmt: skip

    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"isolation: {mode}" in graded.stdout
    record = StatusStore(course.records_dir / "status.json").get(LAB, "perfect")
    assert record is not None
    assert record.status.value == "graded", record.reason
    assert record.auto_score == 4.0


def _job(course: Course, notebook: NotebookNode, read_only_paths: tuple[str, ...]) -> GradeJob:
    return GradeJob(
        lab=LAB,
        student="alice",
        notebook_name=f"{LAB}.ipynb",
        submission={f"{LAB}.ipynb": nbformat.writes(notebook).encode()},
        support_files={"data.csv": (course.source_dir / LAB / "data.csv").read_bytes()},
        gradebook=template_gradebook(course.gradebook_path),
        course_id=course.course_id,
        limits=TEST_LIMITS,
        sandbox=SandboxSettings(isolation="namespaces"),
        isolation=detect_isolation("namespaces"),
        check_reflections=False,
        read_only_paths=read_only_paths,
    )


@requires_namespaces
@pytest.mark.slow
def test_kernel_start_failure_reason(course: Course, release_notebook: NotebookNode) -> None:
    # The interpreter starts, but no site-packages folder is visible, so ipykernel is missing.
    venv_bin = str(Path(sys.executable).parent)
    read_only = (*SYSTEM_PATHS, sys.base_prefix, venv_bin, os.path.join(sys.prefix, "pyvenv.cfg"))
    notebook = make_submission(release_notebook, SubmissionKind.PERFECT)
    worker = Worker()
    try:
        result = worker.grade(_job(course, notebook, read_only))
    finally:
        worker.close()

    assert result.outcome == "failed"
    assert result.reason.startswith("the kernel died at start in the namespaces sandbox")
    assert "No module named ipykernel_launcher" in result.reason
    assert "likely cause: the module 'ipykernel_launcher' is not visible inside" in result.reason
    assert "kernel output:" in result.log


@pytest.mark.parametrize("path", ["/", "/tmp", "/tmp/work", "/tmp/home/.venv"])
def test_read_only_path_covering_kernel_tmp(path: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        check_read_only_paths(("/usr", path))

    assert str(error.value).startswith(
        f"invalid read-only path {path!r} for the namespaces sandbox: it would cover"
    )


def test_read_only_path_under_tmp_allowed() -> None:
    check_read_only_paths(("/usr", "/tmp/ci-clone/.venv", "/tmp/workshop"))
