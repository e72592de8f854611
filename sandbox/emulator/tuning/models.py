"""The tuning job resource, its child training jobs and the shapes Describe and List return."""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from .. import changes
from ..lifecycle import JobStatus, utcnow
from ..training.models import TrainingJob
from .config import TuningSpec
from .search import Candidate

logger = logging.getLogger(__name__)

FAILURE_REASON_LIMIT = 1024


class TuningStatus(str, enum.Enum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def is_terminal(self) -> bool:
        return self in (TuningStatus.COMPLETED, TuningStatus.FAILED, TuningStatus.STOPPED)


@dataclass
class TuningChild:
    """One training job launched by a tuning job."""

    job: TrainingJob
    candidate: Candidate
    tuning_job_name: str
    objective_metric: str
    objective_type: str

    @property
    def tuned(self) -> dict[str, str]:
        return self.candidate.tuned

    @property
    def objective_value(self) -> float | None:
        """The job's final objective value: the last value parsed from its log."""
        if not self.job.status.is_terminal:
            return None
        for datapoint in self.job.final_metrics:
            if datapoint["MetricName"] == self.objective_metric:
                return float(datapoint["Value"])
        return None

    @property
    def objective_status(self) -> str:
        if not self.job.status.is_terminal:
            return "Pending"
        return "Succeeded" if self.objective_value is not None else "Failed"

    def summary(self) -> dict[str, Any]:
        """Return the HyperParameterTrainingJobSummary shape."""
        job = self.job
        summary: dict[str, Any] = {
            "TrainingJobName": job.name,
            "TrainingJobArn": job.arn,
            "TuningJobName": self.tuning_job_name,
            "CreationTime": job.creation_time,
            "TrainingJobStatus": job.status.value,
            "TunedHyperParameters": dict(self.tuned),
            "ObjectiveStatus": self.objective_status,
        }
        if job.start_time is not None:
            summary["TrainingStartTime"] = job.start_time
        if job.end_time is not None:
            summary["TrainingEndTime"] = job.end_time
        if job.failure_reason:
            summary["FailureReason"] = job.failure_reason
        value = self.objective_value
        if value is not None:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": self.objective_type,
                "MetricName": self.objective_metric,
                "Value": value,
            }
        return summary


@dataclass
class TuningJob:
    """One hyperparameter tuning job. `request` is the create request without its tags."""

    name: str
    arn: str
    request: dict[str, Any]
    spec: TuningSpec
    parents: list[TuningJob] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    creation_time: dt.datetime = field(default_factory=utcnow)
    last_modified_time: dt.datetime = field(default_factory=utcnow)
    end_time: dt.datetime | None = None
    status: TuningStatus = TuningStatus.IN_PROGRESS
    failure_reason: str | None = None
    jobs_not_improving: int = 0
    children: list[TuningChild] = field(default_factory=list)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def objective_type(self) -> str:
        return "Maximize" if self.spec.maximize else "Minimize"

    def add_child(self, child: TuningChild) -> None:
        with self.lock:
            self.children.append(child)
            self.last_modified_time = utcnow()

    def snapshot(self) -> list[TuningChild]:
        with self.lock:
            return list(self.children)

    def finish(self, status: TuningStatus, failure_reason: str | None = None) -> None:
        """Set the terminal status, end time and failure reason; the first call wins."""
        with self.lock:
            if self.status.is_terminal:
                return
            self.status = status
            self.end_time = self.last_modified_time = utcnow()
            if failure_reason is not None:
                self.failure_reason = failure_reason[:FAILURE_REASON_LIMIT]
        changes.notify("HyperParameterTuningJobName", self.name)
        if status is TuningStatus.FAILED:
            logger.info("tuning job %s: failed: %s", self.name, failure_reason)
        else:
            logger.info("tuning job %s: %s", self.name, status.value)

    def best_child(self) -> TuningChild | None:
        """Return the completed child with the best objective; ties go to the earliest.

        NOTE: children stopped early keep their objective value in the list, but only
        completed children, whose model was uploaded, can be the best training job.
        """
        best: TuningChild | None = None
        best_value: float | None = None
        for child in self.snapshot():
            value = child.objective_value
            if child.job.status is not JobStatus.COMPLETED or value is None:
                continue
            if best_value is None or self.spec.is_better(value, best_value):
                best, best_value = child, value
        return best

    def status_counters(self) -> dict[str, Any]:
        counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0}
        counters.update({"NonRetryableError": 0, "Stopped": 0})
        objective = {"Succeeded": 0, "Pending": 0, "Failed": 0}
        for child in self.snapshot():
            status = child.job.status
            if status is JobStatus.COMPLETED:
                counters["Completed"] += 1
            elif status is JobStatus.FAILED:
                counters["NonRetryableError"] += 1
            elif status is JobStatus.STOPPED:
                counters["Stopped"] += 1
            else:
                counters["InProgress"] += 1
            objective[child.objective_status] += 1
        return {"TrainingJobStatusCounters": counters, "ObjectiveStatusCounters": objective}

    def describe(self) -> dict[str, Any]:
        request = self.request
        described: dict[str, Any] = {
            "HyperParameterTuningJobName": self.name,
            "HyperParameterTuningJobArn": self.arn,
            "HyperParameterTuningJobConfig": request["HyperParameterTuningJobConfig"],
            "TrainingJobDefinition": self.spec.definition,
            "HyperParameterTuningJobStatus": self.status.value,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "TuningJobCompletionDetails": {
                "NumberOfTrainingJobsObjectiveNotImproving": self.jobs_not_improving
            },
            "ConsumedResources": {"RuntimeInSeconds": self._runtime_seconds()},
            **self.status_counters(),
        }
        optional = {
            "HyperParameterTuningEndTime": self.end_time,
            "FailureReason": self.failure_reason,
            "WarmStartConfig": request.get("WarmStartConfig"),
            "Autotune": request.get("Autotune"),
        }
        described.update({key: value for key, value in optional.items() if value is not None})
        best = self.best_child()
        if best is not None:
            described["BestTrainingJob"] = best.summary()
        overall = self._overall_best()
        if self.parents and overall is not None:
            described["OverallBestTrainingJob"] = overall.summary()
        return described

    def summary(self) -> dict[str, Any]:
        """Return the HyperParameterTuningJobSummary shape of ListHyperParameterTuningJobs."""
        summary: dict[str, Any] = {
            "HyperParameterTuningJobName": self.name,
            "HyperParameterTuningJobArn": self.arn,
            "HyperParameterTuningJobStatus": self.status.value,
            "Strategy": self.spec.strategy,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "ResourceLimits": self.request["HyperParameterTuningJobConfig"]["ResourceLimits"],
            **self.status_counters(),
        }
        if self.end_time is not None:
            summary["HyperParameterTuningEndTime"] = self.end_time
        return summary

    def _overall_best(self) -> TuningChild | None:
        candidates = [job.best_child() for job in [self, *self.parents]]
        best: TuningChild | None = None
        for child in candidates:
            if child is None or child.objective_value is None:
                continue
            if best is None or self.spec.is_better(
                child.objective_value, best.objective_value or 0
            ):
                best = child
        return best

    def _runtime_seconds(self) -> int:
        end = self.end_time or utcnow()
        return max(0, int((end - self.creation_time).total_seconds()))
