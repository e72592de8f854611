"""Submission statuses and the record the grader keeps for each lab and student.

The records live in ``course/grader/status.json``. Only the process that merges results
writes the file, and every write replaces it atomically, so an interrupted run leaves the
records of every submission already merged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from grader.errors import GraderError


class Status(str, Enum):
    """Submission status. The value is the string exports and reports show."""

    COLLECTED = "collected"  # accepted by collect, not graded yet
    GRADED = "graded"
    REPAIRED = "repaired"  # graded after preflight repaired the notebook
    FAILED = "failed"  # rejected or not gradable, with the cause in ``reason``
    TIMED_OUT = "timed_out"
    KERNEL_DIED = "kernel_died"
    TAMPER_SUSPECT = "tamper_suspect"
    MISSING = "missing"  # no submission from a student on the roster


# Statuses that make `grader status` exit with SUBMISSIONS_FAILED: a human has to look.
ATTENTION_STATUSES = frozenset(
    {Status.FAILED, Status.TIMED_OUT, Status.KERNEL_DIED, Status.TAMPER_SUSPECT, Status.MISSING}
)

# Statuses that a rerun grades again even when the submission did not change.
RETRY_STATUSES = frozenset({Status.FAILED, Status.COLLECTED})


@dataclass
class CellScore:
    """Score of one graded cell as merged into the gradebook."""

    kind: str
    max_score: float
    auto_score: float | None
    needs_manual_grade: bool


@dataclass
class SubmissionRecord:
    """Everything the grader records about one student's submission of one lab."""

    status: Status = Status.COLLECTED
    reason: str = ""
    digest: str = ""  # sha256 of the collected submission
    graded_digest: str = ""  # digest of the submission the scores belong to
    timestamp: str | None = None
    repairs: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    dropped_files: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # every file collect saw for it
    cells: dict[str, CellScore] = field(default_factory=dict)
    auto_score: float = 0.0
    max_score: float = 0.0
    duration: float = 0.0
    graded_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionRecord:
        values = dict(data)
        values["status"] = Status(values["status"])
        values["cells"] = {
            name: CellScore(**cell) for name, cell in values.get("cells", {}).items()
        }
        return cls(**values)


class StatusStore:
    """The submission records of a course: ``records[lab][student]``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, dict[str, SubmissionRecord]] = {}
        self.students: dict[str, dict[str, str]] = {}  # student id -> name, lms id
        if path.exists():
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise GraderError(
                f"cannot read the grader records {self.path}: {error}; restore the file from "
                "a backup or delete it and run collect and autograde again"
            ) from error
        self.students = data.get("students", {})
        for lab, students in data.get("labs", {}).items():
            self.records[lab] = {
                student: SubmissionRecord.from_json(record) for student, record in students.items()
            }

    def get(self, lab: str, student: str) -> SubmissionRecord | None:
        return self.records.get(lab, {}).get(student)

    def put(self, lab: str, student: str, record: SubmissionRecord) -> None:
        self.records.setdefault(lab, {})[student] = record

    def lab(self, lab: str) -> dict[str, SubmissionRecord]:
        return dict(sorted(self.records.get(lab, {}).items()))

    def roster(self) -> list[str]:
        """Return every student known to the course: from any lab's records or collect."""
        names = set(self.students)
        for students in self.records.values():
            names.update(students)
        return sorted(names)

    def save(self) -> None:
        """Write the records atomically (a temporary file renamed over the old one)."""
        data = {
            "students": self.students,
            "labs": {
                lab: {student: record.to_json() for student, record in sorted(students.items())}
                for lab, students in sorted(self.records.items())
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".status-")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=1, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, self.path)


@contextlib.contextmanager
def course_lock(records_dir: Path) -> Iterator[None]:
    """Hold the course's writer lock; a second collect or autograde run fails fast."""
    records_dir.mkdir(parents=True, exist_ok=True)
    with open(records_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise GraderError(
                f"another grader command is writing to this course ({records_dir}); "
                "wait for it to finish"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
