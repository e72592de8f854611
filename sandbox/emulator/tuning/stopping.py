"""The median stopping rule of TrainingJobEarlyStoppingType=Auto.

After each round the objective value of a running job is compared with the median,
over the jobs that finished before, of the running average of their objective up to
the same round. A job whose value is worse than that median is stopped. This is the
rule the SageMaker developer guide describes for Auto early stopping.
"""

from __future__ import annotations

import statistics
import threading

# NOTE: the service does not document how many finished jobs the rule needs. The sandbox
# waits for three, so that one poor early job cannot set the bar.
MIN_FINISHED_JOBS = 3


class MedianStoppingRule:
    def __init__(self, maximize: bool, min_finished_jobs: int = MIN_FINISHED_JOBS) -> None:
        self.maximize = maximize
        self.min_finished_jobs = min_finished_jobs
        self._running: dict[str, list[float]] = {}
        self._finished: list[list[float]] = []
        self._lock = threading.Lock()

    def observe(self, job_name: str, round_number: int, value: float) -> bool:
        """Record the job's objective at a round (0-based); return True if it should stop."""
        with self._lock:
            averages = self._running.setdefault(job_name, [])
            if round_number != len(averages):
                return False
            total = (averages[-1] * len(averages) if averages else 0.0) + value
            averages.append(total / (len(averages) + 1))
            earlier = [
                history[round_number] for history in self._finished if len(history) > round_number
            ]
            if len(earlier) < self.min_finished_jobs:
                return False
            median = statistics.median(earlier)
        return value < median if self.maximize else value > median

    def finish(self, job_name: str) -> None:
        """Move a finished job's running averages into the history the rule compares with."""
        with self._lock:
            averages = self._running.pop(job_name, None)
            if averages:
                self._finished.append(averages)
