"""Statistics the instructor report shows: status counts, test pass rates and grading times."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from grader.report.model import STATUSES, SubmissionRecord

#: Default pass rate below which a test is flagged as failed by most students.
LOW_PASS_RATE = 0.3


@dataclass(frozen=True)
class PassRate:
    """How many graded submissions of a lab passed one test.

    ``verdict`` is ``most_fail`` below the low pass rate, ``all_pass`` when every graded
    submission passed, and empty otherwise.
    """

    lab: str
    grade_id: str
    label: str
    passed: int
    graded: int
    verdict: str

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class TimeSummary:
    """Grading wall time of the submissions of one lab, in seconds."""

    lab: str
    count: int
    median: float
    p90: float
    max: float
    total: float


def labs(records: Sequence[SubmissionRecord]) -> list[str]:
    return sorted({record.lab for record in records})


def status_counts(records: Sequence[SubmissionRecord]) -> dict[str, Counter[str]]:
    """Count submissions per status for every lab."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        counts[record.lab][record.status] += 1
    return dict(counts)


def ordered_statuses(records: Sequence[SubmissionRecord]) -> list[str]:
    """Return the known statuses in their usual order, then any other status found."""
    found = {record.status for record in records}
    return [*STATUSES, *sorted(found - set(STATUSES))]


def pass_rates(
    records: Sequence[SubmissionRecord], low_pass_rate: float = LOW_PASS_RATE
) -> list[PassRate]:
    """Return the pass rate of every test, by lab and in first-seen test order.

    A test counts as passed only with full points. Ungraded results are left out.
    """
    passed: Counter[tuple[str, str]] = Counter()
    graded: Counter[tuple[str, str]] = Counter()
    labels: dict[tuple[str, str], str] = {}
    for record in records:
        for test in record.tests:
            key = (record.lab, test.grade_id)
            labels.setdefault(key, test.label)
            if test.points is None:
                continue
            graded[key] += 1
            passed[key] += test.status == "passed"

    rates = []
    for (lab, grade_id), label in labels.items():
        count, wins = graded[(lab, grade_id)], passed[(lab, grade_id)]
        verdict = ""
        if count and wins == count:
            verdict = "all_pass"
        elif count and wins / count < low_pass_rate:
            verdict = "most_fail"
        rates.append(PassRate(lab, grade_id, label, wins, count, verdict))
    return sorted(rates, key=lambda rate: rate.lab)


def time_summaries(records: Sequence[SubmissionRecord]) -> list[TimeSummary]:
    """Summarise the grading times of every lab that has any."""
    by_lab: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if record.seconds is not None:
            by_lab[record.lab].append(record.seconds)
    return [
        TimeSummary(
            lab=lab,
            count=len(times),
            median=statistics.median(times),
            p90=_percentile(sorted(times), 0.9),
            max=max(times),
            total=sum(times),
        )
        for lab, times in sorted(by_lab.items())
    ]


def _percentile(ordered: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]
