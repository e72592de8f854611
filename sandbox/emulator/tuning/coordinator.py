"""The search loop of one tuning job, on its own daemon thread.

The loop launches child training jobs on the shared worker pool (up to
MaxParallelTrainingJobs at a time and MaxNumberOfTrainingJobs in all), feeds each
finished child back to the search, and ends the tuning job when the budget is spent,
a completion criterion is met, MaxRuntimeInSeconds has passed or a stop is requested.
Children always reach a terminal status (each has its own MaxRuntimeInSeconds), so
the loop always ends; an unexpected error fails the tuning job instead of hanging it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING

from ..exceptions import SageMakerError, ValidationException
from ..lifecycle import JobStatus
from .models import TuningChild, TuningJob, TuningStatus
from .search import Candidate, Search
from .stopping import MedianStoppingRule

if TYPE_CHECKING:
    from ..training.service import TrainingJobs

logger = logging.getLogger(__name__)

# Upper bound on how long the loop sleeps before it looks at its children again.
POLL_SECONDS = 0.02


def start(tuning: TuningJob, training: TrainingJobs, search: Search) -> threading.Thread:
    """Start the tuning job's coordinator thread and return it."""
    coordinator = Coordinator(tuning, training, search)
    thread = threading.Thread(
        target=coordinator.run, name=f"sandbox-tuning-{tuning.name}", daemon=True
    )
    thread.start()
    return thread


class Coordinator:
    def __init__(self, tuning: TuningJob, training: TrainingJobs, search: Search) -> None:
        self.tuning = tuning
        self.spec = tuning.spec
        self.training = training
        self.search = search
        self.median_rule = (
            MedianStoppingRule(self.spec.maximize) if self.spec.early_stopping else None
        )
        self.running: list[TuningChild] = []
        self.launched = 0
        self.exhausted = False
        self.best_value: float | None = None
        self.end_reason: str | None = None
        runtime = self.spec.max_runtime_seconds
        self.deadline = None if runtime is None else time.monotonic() + runtime

    def run(self) -> None:
        """Drive the tuning job to a terminal status; never raises."""
        try:
            self._loop()
        except Exception as error:
            logger.exception("tuning job %s: internal error in the search", self.tuning.name)
            self._stop_children()
            self.tuning.finish(
                TuningStatus.FAILED,
                f"InternalServerError: the sandbox failed to run the tuning job: {error!r}",
            )

    def _loop(self) -> None:
        logger.info("tuning job %s: search started (%s)", self.tuning.name, self.spec.strategy)
        while True:
            self._collect_finished()
            reason = self._end_reason()
            if reason is not None:
                self._wind_down(reason)
                return
            self._launch()
            if not self.running and (self.exhausted or self.launched >= self.spec.max_jobs):
                self._conclude()
                return
            self.tuning.wake.wait(POLL_SECONDS)
            self.tuning.wake.clear()

    # Launching and collecting children

    def _launch(self) -> None:
        while (
            len(self.running) < self.spec.max_parallel
            and self.launched < self.spec.max_jobs
            and not self.exhausted
            and self.end_reason is None
        ):
            candidate = self.search.suggest()
            if candidate is None:
                self.exhausted = True
                return
            self._create_child(candidate)

    def _create_child(self, candidate: Candidate) -> None:
        number = self.launched + 1
        name = f"{self.tuning.name}-{number:03d}-{uuid.uuid4().hex[:8]}"
        child: TuningChild | None = None

        def on_metric(metric: str, round_number: int, value: float) -> None:
            if child is not None and metric == self.spec.objective_metric:
                self._on_objective(child, round_number, value)

        try:
            job = self.training.create(
                self.spec.child_request(name, candidate.tuned),
                tuning_job_arn=self.tuning.arn,
                metric_listener=on_metric,
            )
        except SageMakerError as error:
            self.search.tell(candidate, None, "failed")
            self.end_reason = f"ClientError: the training job {name} could not be created: {error}"
            logger.info("tuning job %s: %s", self.tuning.name, self.end_reason)
            return
        child = TuningChild(
            job=job,
            candidate=candidate,
            tuning_job_name=self.tuning.name,
            objective_metric=self.spec.objective_metric,
            objective_type=self.tuning.objective_type,
        )
        self.launched = number
        self.running.append(child)
        self.tuning.add_child(child)
        logger.info("tuning job %s: launched %s with %s", self.tuning.name, name, candidate.tuned)

    def _collect_finished(self) -> None:
        for child in [child for child in self.running if child.job.finished.is_set()]:
            self.running.remove(child)
            self._record(child)

    def _record(self, child: TuningChild) -> None:
        value = child.objective_value
        status = child.job.status
        if status is JobStatus.COMPLETED and value is not None:
            state = "complete"
        elif status is JobStatus.STOPPED:
            state = "stopped"
        else:
            state = "failed"
        self.search.tell(child.candidate, value, state)
        if self.median_rule is not None:
            self.median_rule.finish(child.job.name)
        if state == "complete" and value is not None:
            self._track_improvement(value)
        logger.info(
            "tuning job %s: %s ended %s, objective %s",
            self.tuning.name,
            child.job.name,
            status.value,
            value,
        )

    def _track_improvement(self, value: float) -> None:
        if self.best_value is None or self.spec.is_better(value, self.best_value):
            self.best_value = value
            self.tuning.jobs_not_improving = 0
        else:
            self.tuning.jobs_not_improving += 1

    # Early stopping of one child

    def _on_objective(self, child: TuningChild, round_number: int, value: float) -> None:
        """Decide after each round of a child whether it stops (worker thread)."""
        stop = self.search.report(child.candidate, round_number + 1, value)
        if self.median_rule is not None:
            stop = self.median_rule.observe(child.job.name, round_number, value) or stop
        if not stop:
            return
        try:
            self.training.stop(child.job.name)
        except ValidationException:
            return
        logger.info(
            "tuning job %s: stopped %s early at round %s (objective %s)",
            self.tuning.name,
            child.job.name,
            round_number,
            value,
        )

    # Ending the tuning job

    def _end_reason(self) -> str | None:
        if self.end_reason is not None:
            return self.end_reason
        if self.tuning.stop_requested.is_set():
            return "stop"
        if self.deadline is not None and time.monotonic() > self.deadline:
            return "runtime"
        target = self.spec.target_value
        best = self.best_value
        if target is not None and best is not None and not self.spec.is_better(target, best):
            return "target"
        limit = self.spec.max_jobs_not_improving
        if limit is not None and self.tuning.jobs_not_improving >= limit:
            return "not-improving"
        return None

    def _wind_down(self, reason: str) -> None:
        logger.info("tuning job %s: ending the search (%s)", self.tuning.name, reason)
        if reason == "stop":
            self.tuning.status = TuningStatus.STOPPING
        self._stop_children()
        while self.running:
            self.tuning.wake.wait(POLL_SECONDS)
            self.tuning.wake.clear()
            self._collect_finished()
        if reason == "stop":
            self.tuning.finish(TuningStatus.STOPPED)
        elif reason == "runtime":
            # NOTE: the final status after MaxRuntimeInSeconds is not documented; the
            # sandbox reports Stopped, as for a stop request.
            self.tuning.finish(TuningStatus.STOPPED)
        elif reason in ("target", "not-improving"):
            self._conclude()
        else:
            self.tuning.finish(TuningStatus.FAILED, reason)

    def _stop_children(self) -> None:
        for child in self.running:
            try:
                self.training.stop(child.job.name)
            except ValidationException:
                continue

    def _conclude(self) -> None:
        children = self.tuning.snapshot()
        failed = [child for child in children if child.job.status is JobStatus.FAILED]
        if children and len(failed) == len(children):
            first = failed[0].job
            self.tuning.finish(
                TuningStatus.FAILED,
                f"All training jobs failed. The first, {first.name}, failed with: "
                f"{first.failure_reason}",
            )
            return
        self.tuning.finish(TuningStatus.COMPLETED)
