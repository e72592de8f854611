"""Input records of the instructor report and the feedback page, filled by the grader core."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.reflection.model import ReflectionResult

#: Submission statuses the grader core records, in the order the report lists them.
#: The report also shows any other status string, after these.
STATUSES = (
    "graded",
    "repaired",
    "tamper_suspect",
    "failed",
    "timed_out",
    "kernel_died",
    "missing",
)


@dataclass(frozen=True)
class TestRecord:
    """Outcome of one autograded test cell for one student.

    ``points`` is None when the cell was not graded (the run failed or the cell is missing).
    ``message`` is shown to the student, for example ``AssertionError: expected 3 rows``;
    feedback removes any line of hidden test source from it. ``hidden`` marks a cell that
    contains hidden tests, whose source feedback never shows.
    """

    __test__ = False  # not a pytest test class

    grade_id: str
    points: float | None
    max_points: float
    message: str = ""
    hidden: bool = False
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.grade_id

    @property
    def status(self) -> str:
        """One of ``passed``, ``partial``, ``failed`` or ``not_graded``."""
        if self.points is None:
            return "not_graded"
        if self.points >= self.max_points:
            return "passed"
        return "partial" if self.points > 0 else "failed"


@dataclass(frozen=True)
class SubmissionRecord:
    """One student's submission of one lab, as the grader core recorded it.

    ``status`` is one of STATUSES, ``reason`` explains a failed status, ``score`` is None when
    nothing was graded, and ``seconds`` is the wall time the grading of this submission took.
    """

    student: str
    lab: str
    status: str
    score: float | None
    max_score: float
    seconds: float | None = None
    tests: list[TestRecord] = field(default_factory=list)
    reflection: ReflectionResult | None = None
    reason: str = ""

    @property
    def percent(self) -> float | None:
        if self.score is None or self.max_score <= 0:
            return None
        return 100.0 * self.score / self.max_score
