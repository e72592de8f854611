"""Grade one submission with nbgrader on a throw-away course directory.

The throw-away course holds only what nbgrader's autograde needs: a gradebook copy without
student data, the lab's non-notebook source files and this student's submission. The
source notebook is not there. nbgrader's OverwriteCells puts the test cells back from the
gradebook, hidden tests included, just before execution, and the kernel runs in the
sandbox, which cannot see the throw-away course at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from traitlets.config import Config

from grader.autograde import proctree
from grader.autograde.canary import (
    Canary,
    CanaryInsert,
    CanaryVerify,
    cached_helper_fingerprints,
)
from grader.autograde.diagnose import is_start_failure, start_failure_reason
from grader.autograde.execute import KERNEL_DIED, TIMED_OUT, GuardedExecute
from grader.autograde.job import CellGrade, GradeJob, GradeResult
from grader.autograde.kernel import SandboxedKernelManager
from grader.autograde.sandbox import build_spec
from grader.integrations import run_reflection_check
from grader.status import Status

log = logging.getLogger(__name__)


class SubmissionAutograde(Autograde):
    """nbgrader's Autograde for exactly one submission, letting exceptions through.

    Stock autograde logs a failed submission and raises a generic error at the end. The worker
    needs the exception itself, to tell a timeout from a broken notebook.
    """

    def convert_notebooks(self) -> None:
        for assignment in sorted(self.assignments):
            self.notebooks = sorted(self.assignments[assignment])
            lab, student = self.coursedir.assignment_id, self.coursedir.student_id
            self.init_destination(lab, student)
            self.init_assignment(lab, student)
            for notebook in self.notebooks:
                self.convert_single_notebook(notebook)


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) < 500:
            self.lines.append(f"{record.levelname} {record.getMessage()}")


@contextlib.contextmanager
def _capturing(capture: logging.Handler, *loggers: Any) -> Iterator[None]:
    """Send the loggers' INFO records to ``capture`` only, for the submission's own log."""
    saved = []
    for logger in set(loggers):
        saved.append((logger, logger.level, logger.propagate, list(logger.handlers)))
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.handlers = [capture]
    try:
        yield
    finally:
        for logger, level, propagate, handlers in saved:
            logger.setLevel(level)
            logger.propagate = propagate
            logger.handlers = handlers


class Worker:
    """Grades jobs one after another in a private scratch folder.

    With ``own_process`` the worker owns its process: it becomes a child subreaper and kills
    every descendant after each job. Without it, as when a test grades in its own process,
    only the kernel's PID namespace (or guard-mode kernel) is killed.
    """

    def __init__(self, scratch_parent: str | None = None, own_process: bool = False) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="sgl-", dir=scratch_parent or "/tmp"))
        self.count = 0
        self.own_process = own_process and proctree.become_subreaper()

    def close(self) -> None:
        if self.own_process:
            proctree.kill_descendants()
        _remove_tree(self.scratch)

    def grade(self, job: GradeJob) -> GradeResult:
        """Grade one job; an exception inside becomes a failed result, so the batch goes on."""
        started = time.monotonic()
        self.count += 1
        job_dir = self.scratch / str(self.count)
        job_dir.mkdir()
        capture = _LogCapture()
        try:
            result = self._grade_in(job_dir, job, capture)
        except Exception as error:  # noqa: BLE001 - one submission never stops the batch
            log.warning("lab=%s student=%s grading failed: %r", job.lab, job.student, error)
            capture.lines.append(traceback.format_exc())
            kernel_log = _kernel_log(job_dir)
            capture.lines += ["kernel output:", *kernel_log[-40:]]
            if is_start_failure(error):
                reason = start_failure_reason(job.isolation.mode, kernel_log)
            else:
                reason = _describe(error) + _kernel_log_tail(kernel_log)
            result = GradeResult(job.lab, job.student, Status.FAILED.value, reason)
        finally:
            self._cleanup(job_dir)
        result.duration = time.monotonic() - started
        result.log = "\n".join(capture.lines)
        return result

    def _grade_in(self, job_dir: Path, job: GradeJob, capture: _LogCapture) -> GradeResult:
        course = _write_course(job_dir / "course", job)
        spec = build_spec(job_dir, job.isolation, job.limits, job.sandbox, job.read_only_paths)
        canary = Canary(helpers=job.helpers or cached_helper_fingerprints())
        execute = _make_execute(job, job_dir, spec)
        config = _course_config(course, job)

        coursedir = CourseDirectory(config=config)
        converter = SubmissionAutograde(coursedir=coursedir, config=config)
        # Assigned on the instance: values set through a Config object are copied, and the
        # worker needs to read the state of these very preprocessor objects afterwards.
        converter.sanitize_preprocessors = _sanitize_steps(canary)
        converter.autograde_preprocessors = _autograde_steps(canary, execute)
        converter.force = True
        with _capturing(capture, converter.log, execute.log):
            try:
                converter.start()
            finally:
                _kill_kernel_leftovers(job_dir)

        output_dir = course / "autograded" / job.student / job.lab
        notebook_path = output_dir / job.notebook_name
        result = _collect_result(job, course, notebook_path, canary, execute)
        result.autograded_files = _read_files(output_dir)
        if job.check_reflections:
            result.reflection = run_reflection_check(notebook_path, job.lab, job.student)
        return result

    def _cleanup(self, job_dir: Path) -> None:
        _kill_kernel_leftovers(job_dir)
        if self.own_process:
            proctree.kill_descendants()
        _remove_tree(job_dir)


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}"[:300]


def _kernel_log(job_dir: Path) -> list[str]:
    """Return the lines the kernel and its launcher wrote to stdout and stderr."""
    try:
        return (job_dir / "kernel.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return []


def _kernel_log_tail(lines: list[str]) -> str:
    """Return the kernel's last output line (a sandbox start error, say) as a reason suffix."""
    return f" (kernel: {lines[-1][:200]})" if lines else ""


def _write_course(root: Path, job: GradeJob) -> Path:
    """Lay out the throw-away nbgrader course for one job and return its root."""
    (root / "source" / job.lab).mkdir(parents=True)
    (root / "gradebook.db").write_bytes(job.gradebook)
    for relative, content in job.support_files.items():
        _write_inside(root / "source" / job.lab, relative, content)
    submitted = root / "submitted" / job.student / job.lab
    submitted.mkdir(parents=True)
    for relative, content in job.submission.items():
        _write_inside(submitted, relative, content)
    if job.timestamp:
        (submitted / "timestamp.txt").write_text(job.timestamp, encoding="utf-8")
    return root


def _write_inside(folder: Path, relative: str, content: bytes) -> None:
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise ValueError(f"file path {relative!r} leaves the submission folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _make_execute(job: GradeJob, job_dir: Path, spec: Path) -> GuardedExecute:
    runtime = job_dir / "rt"
    config = Config()
    manager = config.SandboxedKernelManager
    manager.sandbox_spec = str(spec)
    manager.transport = "ipc"
    manager.ip = str(runtime / "k")
    manager.connection_file = str(runtime / "kernel.json")
    manager.stderr_path = str(job_dir / "kernel.log")
    execute = GuardedExecute(config=config, kernel_manager_class=SandboxedKernelManager)
    execute.timeout = job.limits.cell_timeout
    execute.notebook_timeout = job.limits.notebook_timeout
    execute.output_bytes_per_cell = job.limits.output_kb_per_cell * 1024
    return execute


def _course_config(course: Path, job: GradeJob) -> Config:
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = job.course_id
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.CourseDirectory.assignment_id = job.lab
    config.CourseDirectory.student_id = job.student
    return config


def _sanitize_steps(canary: Canary) -> list[Any]:
    return [
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        OverwriteCells,
        CanaryInsert(canary),
        CheckCellMetadata,
    ]


def _autograde_steps(canary: Canary, execute: GuardedExecute) -> list[Any]:
    return [
        execute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        CanaryVerify(canary),
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]


def _kill_kernel_leftovers(job_dir: Path) -> None:
    """Kill the kernel's PID namespace (or guard-mode process) recorded by the launcher."""
    pidfile = job_dir / "kernel.pid"
    try:
        pid = int(pidfile.read_text() or "0")
    except (OSError, ValueError):
        return
    if pid > 0:
        proctree.kill_pid(pid)
        proctree.kill_descendants(pid)


def _collect_result(
    job: GradeJob, course: Path, notebook_path: Path, canary: Canary, execute: GuardedExecute
) -> GradeResult:
    """Score what ran, compare it with the worker gradebook's claims, and set the outcome."""
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook_id = notebook_path.stem
    ran = {cell.metadata.nbgrader["grade_id"]: cell for cell in notebook.cells if _is_scored(cell)}
    flags = list(canary.flags)
    cells: list[CellGrade] = []
    late_penalty = 0.0

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", job.course_id) as gradebook:
        submission = gradebook.find_submission_notebook(notebook_id, job.lab, job.student)
        late_penalty = float(submission.late_submission_penalty or 0.0)
        for grade in submission.grades:
            cell = ran.get(grade.name)
            cells.append(_cell_grade(notebook_id, grade, cell))
            flags += _claims_beyond_run(grade, cells[-1])
            cells[-1].auto_comment = _auto_comment(gradebook, grade.name, notebook_id, job)

    kind, reason = _outcome(canary, execute)
    flags += [message for event, message in execute.events if event != kind]
    return GradeResult(
        job.lab, job.student, kind, reason, cells=cells, flags=flags, late_penalty=late_penalty
    )


def _is_scored(cell: Any) -> bool:
    return utils.is_grade(cell) or utils.is_task(cell)


def _cell_grade(notebook_id: str, grade: Any, cell: Any) -> CellGrade:
    maximum = float(grade.max_score)
    if cell is None:
        # A graded cell missing from the executed notebook earns nothing automatically.
        return CellGrade(notebook_id, grade.name, "test", maximum, 0.0, False)
    if utils.is_task(cell):
        return CellGrade(notebook_id, grade.name, "task", maximum, None, True)
    kind = "manual" if utils.is_solution(cell) else "test"
    score, _ = utils.determine_grade(cell)
    if score is not None:
        score = min(max(float(score), 0.0), maximum)
    return CellGrade(notebook_id, grade.name, kind, maximum, score, score is None)


def _claims_beyond_run(grade: Any, computed: CellGrade) -> list[str]:
    """Flag values in the worker's gradebook that the executed notebook does not support."""
    claims = []
    if grade.manual_score is not None:
        claims.append(
            f"worker gradebook claims manual score {grade.manual_score} for {grade.name}; ignored"
        )
    if grade.extra_credit:
        claims.append(
            f"worker gradebook claims extra credit {grade.extra_credit} for {grade.name}; ignored"
        )
    stored = grade.auto_score
    if (
        stored is not None
        and computed.auto_score is not None
        and abs(stored - computed.auto_score) > 1e-9
    ):
        claims.append(
            f"worker gradebook claims auto score {stored} for {grade.name} but the run earned "
            f"{computed.auto_score}; the run's score is used"
        )
    return claims


def _auto_comment(gradebook: Gradebook, name: str, notebook_id: str, job: GradeJob) -> str | None:
    try:
        return gradebook.find_comment(name, notebook_id, job.lab, job.student).auto_comment
    except MissingEntry:
        return None


def _outcome(canary: Canary, execute: GuardedExecute) -> tuple[str, str]:
    if canary.tampered:
        return Status.TAMPER_SUSPECT.value, "; ".join(canary.flags)
    if execute.abort_kind == TIMED_OUT:
        return Status.TIMED_OUT.value, _event_message(execute, TIMED_OUT)
    if execute.abort_kind == KERNEL_DIED:
        return Status.KERNEL_DIED.value, _event_message(execute, KERNEL_DIED)
    if any(event == TIMED_OUT for event, _ in execute.events):
        return Status.TIMED_OUT.value, _event_message(execute, TIMED_OUT)
    return Status.GRADED.value, ""


def _event_message(execute: GuardedExecute, kind: str) -> str:
    return "; ".join(message for event, message in execute.events if event == kind)


def _read_files(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files[str(path.relative_to(folder))] = path.read_bytes()
    return files


def _remove_tree(path: Path) -> None:
    def make_writable(function: Any, name: str, _info: Any) -> None:
        os.chmod(name, stat.S_IRWXU)
        function(name)

    if path.exists():
        shutil.rmtree(path, onerror=make_writable)
