"""Find and undo changes to the course gradebook that the grader did not make.

In the guard isolation mode the kernel runs as the grader's user, so student code can open
``course/gradebook.db`` and rewrite scores. The single writer keeps an in-memory copy of the
gradebook, compares the file with it before and after each merge, and restores the copy
when anything else changed. The rows are compared by owner: each student's submissions,
grades and comments per lab, and the course's own tables (cells, maxima, assignments) under
COURSE_ROWS.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from grader.autograde.job import GradeResult
from grader.course import Course
from grader.status import Status, StatusStore

log = logging.getLogger(__name__)

WORKER_CLAIM_PREFIX = "worker gradebook claims"
SOURCE_REASON = (
    "the course gradebook was changed outside the grader during this autograde run, and "
    "this submission's own worker gradebook copy was written to: the likely source"
)

# Owner of a row: (student id, lab), with "" as the lab of the student table's own rows.
Owner = tuple[str, str]
COURSE_ROWS: Owner = ("", "")  # the tables that belong to no student

_SUBMISSION = (
    "LEFT JOIN submitted_assignment s ON n.assignment_id = s.id "
    "LEFT JOIN assignment a ON s.assignment_id = a.id"
)
# Each query returns the owning student id and lab first, then the row.
_OWNER_QUERIES = {
    "student": "SELECT id, '', * FROM student",
    "submitted_assignment": (
        "SELECT s.student_id, a.name, s.* FROM submitted_assignment s "
        "LEFT JOIN assignment a ON s.assignment_id = a.id"
    ),
    "submitted_notebook": (
        f"SELECT s.student_id, a.name, n.* FROM submitted_notebook n {_SUBMISSION}"
    ),
    "grade": (
        "SELECT s.student_id, a.name, g.* FROM grade g "
        f"LEFT JOIN submitted_notebook n ON g.notebook_id = n.id {_SUBMISSION}"
    ),
    "comment": (
        "SELECT s.student_id, a.name, c.* FROM comment c "
        f"LEFT JOIN submitted_notebook n ON c.notebook_id = n.id {_SUBMISSION}"
    ),
}

Fingerprint = dict[Owner, list[tuple[object, ...]]]


def fingerprint(connection: sqlite3.Connection) -> Fingerprint:
    """Return every row of the gradebook, grouped by owning student (or COURSE_ROWS)."""
    rows: Fingerprint = {}
    tables = [
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    for table in sorted(tables):
        query = _OWNER_QUERIES.get(table)
        if query is None:
            query = f"SELECT '', '', * FROM \"{table}\""  # noqa: S608 - names from sqlite
        for student, lab, *values in connection.execute(query):
            owner = (str(student or ""), str(lab or "")) if student else COURSE_ROWS
            rows.setdefault(owner, []).append((table, *values))
    return {owner: sorted(values, key=repr) for owner, values in rows.items()}


def changed_owners(before: Fingerprint, after: Fingerprint) -> set[Owner]:
    """Return the owners whose rows differ between two fingerprints."""
    return {owner for owner in set(before) | set(after) if before.get(owner) != after.get(owner)}


class GradebookGuard:
    """The writer's copy of the course gradebook, refreshed after each of its own merges."""

    def __init__(self, path: Path, quarantine_dir: Path) -> None:
        self.path = path
        self.quarantine_dir = quarantine_dir
        self._copy = sqlite3.connect(":memory:")
        self._rows: Fingerprint = {}
        self._take_copy()

    def close(self) -> None:
        self._copy.close()

    def owners(self) -> set[Owner]:
        """Return the (student, lab) pairs in the copy, without COURSE_ROWS."""
        return set(self._rows) - {COURSE_ROWS}

    def check(self) -> set[Owner]:
        """Restore the copy when the file changed; return the owners whose rows changed.

        A change to the course's own tables (a raised maximum, say) affects every student.
        """
        try:
            current = self._read_file()
        except sqlite3.DatabaseError as error:
            log.error("gradebook %s unreadable (%s); restoring the grader's copy", self.path, error)
            self._restore()
            return self.owners()
        changed = changed_owners(self._rows, current)
        if not changed:
            return set()
        log.error("gradebook %s changed outside the grader: %s", self.path, sorted(changed))
        self._restore()
        if COURSE_ROWS in changed:
            return self.owners() | (set(current) - {COURSE_ROWS})
        return changed - {COURSE_ROWS}

    def accept(self, student: str) -> set[Owner]:
        """Take a new copy after merging ``student``; return others' changed rows, if any.

        When rows of anybody but ``student`` changed during the merge, the copy from before
        the merge is restored and those owners are returned, so the caller can merge again.
        """
        # NOTE: a change to ``student``'s own rows made during its merge is taken as the
        # merge's; only the check before the next merge could have told them apart.
        current = self._read_file()
        others = {owner for owner in changed_owners(self._rows, current) if owner[0] != student}
        if others:
            log.error("gradebook %s changed during the merge of %s", self.path, student)
            self._restore()
            if COURSE_ROWS in others:
                return self.owners() | (others - {COURSE_ROWS})
            return others
        self._take_copy()
        return set()

    def _read_file(self) -> Fingerprint:
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return fingerprint(connection)
        finally:
            connection.close()

    def _take_copy(self) -> None:
        source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            source.backup(self._copy)
        finally:
            source.close()
        self._rows = fingerprint(self._copy)

    def _restore(self) -> None:
        """Keep the changed file for inspection, then write the copy back over it."""
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        kept = self.quarantine_dir / f"gradebook-{stamp}.db"
        if self.path.exists():
            shutil.copyfile(self.path, kept)
        for suffix in ("", "-journal", "-wal", "-shm"):
            # A leftover journal would be rolled back into the restored file on next open.
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        target = sqlite3.connect(self.path)
        try:
            self._copy.backup(target)
        finally:
            target.close()
        log.warning("gradebook %s restored; the changed file is kept as %s", self.path, kept)


class TamperWatch:
    """Check the course gradebook around every merge of one autograde run and flag changes.

    Every (student, lab) whose gradebook rows changed outside the grader gets the status
    ``tamper_suspect`` with a reason, after the gradebook is restored. Submissions of the run
    whose own worker gradebook copy was written to are flagged as the likely source.
    """

    def __init__(self, course: Course, store: StatusStore, lab: str) -> None:
        self.store = store
        self.lab = lab
        self.quarantine_dir = course.records_dir / "tampered"
        self.guard = GradebookGuard(course.gradebook_path, self.quarantine_dir)
        self.affected: dict[Owner, str] = {}
        self.claimed: set[str] = set()  # students whose worker gradebook was written to

    def check(self) -> None:
        self._note(self.guard.check())

    def accept(self, student: str) -> bool:
        """Take the merge of ``student`` into the copy; False when the merge must be redone."""
        others = self.guard.accept(student)
        self._note(others)
        return not others

    def mark(self, result: GradeResult) -> None:
        """Apply the tamper status to every affected record, after a merge rewrote one."""
        if any(flag.startswith(WORKER_CLAIM_PREFIX) for flag in result.flags):
            self.claimed.add(result.student)
        self._apply()

    def finish(self, graded: dict[str, str]) -> None:
        """Check one last time, flag the likely sources, and update ``graded`` statuses."""
        try:
            self.check()
            if self.affected:
                for student in self.claimed:
                    self.affected.setdefault((student, self.lab), SOURCE_REASON)
            self._apply()
            for student, lab in self.affected:
                if (lab or self.lab) == self.lab and student in graded:
                    graded[student] = Status.TAMPER_SUSPECT.value
        finally:
            self.guard.close()

    def _note(self, owners: set[Owner]) -> None:
        reason = (
            f"its gradebook rows were changed outside the grader during the autograde run of "
            f"{self.lab}; the grader's copy was restored (the changed file is kept in "
            f"{self.quarantine_dir})"
        )
        for owner in owners - {COURSE_ROWS}:
            self.affected.setdefault(owner, reason)

    def _apply(self) -> None:
        for (student, lab), reason in self.affected.items():
            record = self.store.get(lab or self.lab, student)
            if record is None:
                log.warning("lab=%s student=%s gradebook rows restored", lab or self.lab, student)
                continue
            record.status = Status.TAMPER_SUSPECT
            record.reason = reason
            flag = f"tamper: {reason}"
            if flag not in record.flags:
                record.flags.append(flag)
