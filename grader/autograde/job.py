"""The job a worker receives for one submission and the result it sends back.

Both are plain data (files travel as bytes), so the same job runs in a local worker process
or on a Dask worker that shares no file system with the grader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.autograde.sandbox import Isolation
from grader.defaults import Limits, SandboxSettings


@dataclass
class GradeJob:
    """One submission to grade.

    ``submission`` maps paths relative to the submission folder to file contents; it holds
    the notebook (named like the release) and the allowed extra files. ``support_files``
    are the lab's non-notebook source files, which nbgrader copies over the submission.
    ``gradebook`` is a copy of the course gradebook without any student data: it carries
    the test cells, hidden tests included, that nbgrader restores before execution.
    """

    lab: str
    student: str
    notebook_name: str
    submission: dict[str, bytes]
    support_files: dict[str, bytes]
    gradebook: bytes
    course_id: str
    limits: Limits
    sandbox: SandboxSettings
    isolation: Isolation
    timestamp: str | None = None
    check_reflections: bool = True
    # Computed once per run by the grader, so workers need not import pandas or probe
    # sys.path: expected fingerprints of test helpers, and the kernel's read-only folders.
    helpers: tuple[tuple[str, str, tuple[str, str]], ...] = ()
    read_only_paths: tuple[str, ...] = ()


@dataclass
class CellGrade:
    """The automatic result of one graded cell, as computed from the executed notebook."""

    notebook: str
    grade_id: str
    kind: str  # "test", "manual" (manually graded answer) or "task"
    max_score: float
    auto_score: float | None
    needs_manual_grade: bool
    auto_comment: str | None = None


@dataclass
class GradeResult:
    """Outcome of one job; ``outcome`` is a Status value decided by the worker."""

    lab: str
    student: str
    outcome: str
    reason: str = ""
    cells: list[CellGrade] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    autograded_files: dict[str, bytes] = field(default_factory=dict)
    late_penalty: float = 0.0
    duration: float = 0.0
    log: str = ""
    reflection: Any = None
