"""The autograde command: plan, grade in parallel, merge one result at a time."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook
from tqdm import tqdm

from grader import defaults
from grader.autograde.canary import cached_helper_fingerprints
from grader.autograde.job import GradeJob, GradeResult
from grader.autograde.merge import merge_result
from grader.autograde.pool import run_dask, run_local
from grader.autograde.sandbox import (
    Isolation,
    check_read_only_paths,
    detect_isolation,
    kernel_read_only_paths,
)
from grader.autograde.tamper import TamperWatch
from grader.course import Course, check_name
from grader.errors import InvalidInputError
from grader.gradebook import template_gradebook
from grader.integrations import lab_has_reflection_cells
from grader.status import RETRY_STATUSES, Status, StatusStore, SubmissionRecord, course_lock

log = logging.getLogger(__name__)

# A merge is redone when another process changed the gradebook while it ran.
MERGE_ATTEMPTS = 3


class _Progress(tqdm):  # type: ignore[type-arg]
    """A progress bar without tqdm's monitor thread: local workers are forked while it runs."""

    monitor_interval = 0


@dataclass
class AutogradeSummary:
    """The outcome of one autograde run."""

    lab: str
    isolation: Isolation
    graded: dict[str, str] = field(default_factory=dict)  # student -> status
    skipped: list[str] = field(default_factory=list)  # unchanged since the last run
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> Counter[str]:
        return Counter(self.graded.values())


def submission_digest(folder: Path) -> str:
    """Return a sha256 over the relative paths and contents of every file in ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _read_files(folder: Path, skip: set[str]) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.name not in skip
    }


def _support_files(course: Course, lab: str) -> dict[str, bytes]:
    folder = course.source_dir / lab
    return {
        relative: content
        for relative, content in _read_files(folder, set()).items()
        if not relative.endswith(".ipynb") and ".ipynb_checkpoints" not in relative
    }


def autograde(
    course: Course,
    lab: str,
    *,
    jobs: int = defaults.JOBS,
    limits: defaults.Limits = defaults.LIMITS,
    sandbox: defaults.SandboxSettings = defaults.SANDBOX,
    students: list[str] | None = None,
    force: bool = False,
    dask_scheduler: str | None = None,
    progress: bool = True,
    check_reflections: bool = True,
) -> AutogradeSummary:
    """Grade the collected submissions of ``lab`` that are new, changed or failed.

    ``force`` grades every submission again. Results are merged into the gradebook as they
    arrive, so an interrupted run keeps everything graded before the interrupt.
    """
    if jobs < 1:
        raise InvalidInputError(f"invalid number of jobs {jobs}: use 1 or more")
    course.require_released(lab)
    started = time.monotonic()
    isolation = detect_isolation(sandbox.isolation)
    log.info("lab=%s isolation: %s", lab, isolation.description)
    summary = AutogradeSummary(lab, isolation)

    with course_lock(course.records_dir):
        store = StatusStore(course.records_dir / "status.json")
        plan = _plan(course, store, lab, students, force, summary)
        store.save()
        if not plan:
            summary.seconds = time.monotonic() - started
            return summary
        prototype = _prototype(course, lab, limits, sandbox, isolation, check_reflections)
        work = [_job_for(course, prototype, student, store) for student in plan]
        digests = {student: digest for student, digest in plan.items()}
        bar = _Progress(total=len(work), desc=f"autograde {lab}", unit="nb", disable=not progress)

        guard = TamperWatch(course, store, lab)

        def on_result(result: GradeResult) -> None:
            guard.check()
            record = store.get(lab, result.student) or SubmissionRecord()
            for _attempt in range(MERGE_ATTEMPTS):
                merge_result(course, result, record, digests[result.student])
                if guard.accept(result.student):
                    break
            store.put(lab, result.student, record)
            guard.mark(result)
            store.save()
            summary.graded[result.student] = record.status.value
            bar.update(1)

        try:
            if dask_scheduler:
                run_dask(work, dask_scheduler, on_result)
            else:
                run_local(work, jobs, on_result)
        finally:
            bar.close()
            guard.finish(summary.graded)
            store.save()
    summary.seconds = time.monotonic() - started
    return summary


def _plan(
    course: Course,
    store: StatusStore,
    lab: str,
    students: list[str] | None,
    force: bool,
    summary: AutogradeSummary,
) -> dict[str, str]:
    """Return student -> digest of the submissions to grade, and record missing ones."""
    wanted = {check_name(s, "student") for s in students} if students else None
    plan: dict[str, str] = {}
    submitted = {
        folder.parent.name: folder
        for folder in sorted(course.submitted_dir.glob(f"*/{lab}"))
        if folder.is_dir() and (folder / course.notebook_name(lab)).is_file()
    }
    for student, folder in submitted.items():
        if wanted is not None and student not in wanted:
            continue
        digest = submission_digest(folder)
        record = store.get(lab, student)
        if record is None:
            record = SubmissionRecord(digest=digest)
            store.put(lab, student, record)
        unchanged = record.graded_digest == digest and record.status not in RETRY_STATUSES
        if unchanged and not force:
            summary.skipped.append(student)
            continue
        plan[student] = digest

    for student in sorted(set(store.roster()) | _gradebook_students(course)):
        if student in submitted or (wanted is not None and student not in wanted):
            continue
        record = store.get(lab, student)
        if record is None or record.status == Status.MISSING:
            store.put(lab, student, SubmissionRecord(status=Status.MISSING, reason="no submission"))
            summary.missing.append(student)
    return plan


def _gradebook_students(course: Course) -> set[str]:
    """Return the students an instructor added to the gradebook (the course roster)."""
    with Gradebook(course.db_url, course.course_id) as gradebook:
        return {student.id for student in gradebook.students}


def _prototype(
    course: Course,
    lab: str,
    limits: defaults.Limits,
    sandbox: defaults.SandboxSettings,
    isolation: Isolation,
    check_reflections: bool,
) -> GradeJob:
    """Return a job with everything the submissions of ``lab`` share, computed once."""
    if check_reflections and not lab_has_reflection_cells(
        course.source_dir / lab / course.notebook_name(lab)
    ):
        log.info("lab=%s has no reflection cells; the reflection check is skipped", lab)
        check_reflections = False
    read_only_paths = kernel_read_only_paths(sandbox)
    if isolation.mode == "namespaces":
        check_read_only_paths(read_only_paths)
    return GradeJob(
        lab=lab,
        student="",
        notebook_name=course.notebook_name(lab),
        submission={},
        support_files=_support_files(course, lab),
        gradebook=template_gradebook(course.gradebook_path),
        course_id=course.course_id,
        limits=limits,
        sandbox=sandbox,
        isolation=isolation,
        check_reflections=check_reflections,
        helpers=cached_helper_fingerprints(),
        read_only_paths=read_only_paths,
    )


def _job_for(course: Course, prototype: GradeJob, student: str, store: StatusStore) -> GradeJob:
    """Return the job of one student: the shared prototype plus the student's files."""
    folder = course.submission_dir(prototype.lab, student)
    record = store.get(prototype.lab, student)
    timestamp = record.timestamp if record else None
    timestamp_file = folder / "timestamp.txt"
    if timestamp is None and timestamp_file.is_file():
        timestamp = timestamp_file.read_text(encoding="utf-8").strip() or None
    return dataclasses.replace(
        prototype,
        student=student,
        submission=_read_files(folder, {"timestamp.txt"}),
        timestamp=timestamp,
    )
