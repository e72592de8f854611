"""Status values and the one place where a job's life ends.

Every asynchronous resource (training job, transform job, tuning job) records its
`SecondaryStatusTransitions`-style history through `StatusHistory` and is ended by
`finish()`, whatever the path: success, failure, stop or time-out.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from dataclasses import dataclass, field
from typing import Any


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class JobStatus(str, enum.Enum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED)


@dataclass
class Transition:
    status: str
    message: str
    start_time: dt.datetime
    end_time: dt.datetime | None = None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "Status": self.status,
            "StartTime": self.start_time,
            "StatusMessage": self.message,
        }
        if self.end_time is not None:
            described["EndTime"] = self.end_time
        return described


@dataclass
class StatusHistory:
    """The secondary status of a job and the transitions that led to it."""

    transitions: list[Transition] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def current(self) -> str | None:
        return self.transitions[-1].status if self.transitions else None

    def enter(self, status: str, message: str) -> None:
        """Close the current transition and open `status`, or update its message."""
        now = utcnow()
        with self.lock:
            if self.transitions and self.transitions[-1].status == status:
                self.transitions[-1].message = message
                return
            if self.transitions:
                self.transitions[-1].end_time = now
            self.transitions.append(Transition(status, message, now))

    def describe(self) -> list[dict[str, Any]]:
        with self.lock:
            return [transition.describe() for transition in self.transitions]
