"""The training job resource: what was requested and what has happened to it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..lifecycle import JobStatus, StatusHistory, utcnow

SECONDARY_MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job runtime exceeded MaxRuntimeInSeconds provided",
}

# Called with (metric name, round, value) for each metric parsed from a per-round log line.
MetricListener = Callable[[str, int, float], None]


@dataclass
class TrainingJob:
    """One training job. `request` is the CreateTrainingJob request with defaults filled in."""

    name: str
    arn: str
    request: dict[str, Any]
    account_id: str
    region: str
    creation_time: dt.datetime = field(default_factory=utcnow)
    status: JobStatus = JobStatus.IN_PROGRESS
    history: StatusHistory = field(default_factory=StatusHistory)
    last_modified_time: dt.datetime = field(default_factory=utcnow)
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    failure_reason: str | None = None
    final_metrics: list[dict[str, Any]] = field(default_factory=list)
    tuning_job_arn: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    metric_listeners: list[MetricListener] = field(default_factory=list)

    @property
    def model_artifact_uri(self) -> str:
        output = self.request["OutputDataConfig"]["S3OutputPath"].rstrip("/")
        return f"{output}/{self.name}/output/model.tar.gz"

    @property
    def max_runtime_seconds(self) -> int:
        condition = self.request.get("StoppingCondition") or {}
        return int(condition.get("MaxRuntimeInSeconds", 86400))

    @property
    def instance_count(self) -> int:
        return int(self.request.get("ResourceConfig", {}).get("InstanceCount", 1))

    def enter(self, secondary_status: str, message: str | None = None) -> None:
        self.history.enter(secondary_status, message or SECONDARY_MESSAGES[secondary_status])
        self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        request = self.request
        described: dict[str, Any] = {
            "TrainingJobName": self.name,
            "TrainingJobArn": self.arn,
            "ModelArtifacts": {"S3ModelArtifacts": self.model_artifact_uri},
            "TrainingJobStatus": self.status.value,
            "SecondaryStatus": self.history.current or "Starting",
            "HyperParameters": request.get("HyperParameters", {}),
            "AlgorithmSpecification": request["AlgorithmSpecification"],
            "RoleArn": request["RoleArn"],
            "InputDataConfig": request.get("InputDataConfig", []),
            "OutputDataConfig": request["OutputDataConfig"],
            "ResourceConfig": request["ResourceConfig"],
            "StoppingCondition": request["StoppingCondition"],
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "SecondaryStatusTransitions": self.history.describe(),
            "EnableNetworkIsolation": request.get("EnableNetworkIsolation", False),
            "EnableInterContainerTrafficEncryption": request.get(
                "EnableInterContainerTrafficEncryption", False
            ),
            "EnableManagedSpotTraining": request.get("EnableManagedSpotTraining", False),
        }
        optional = {
            "TrainingStartTime": self.start_time,
            "TrainingEndTime": self.end_time,
            "FailureReason": self.failure_reason,
            "TuningJobArn": self.tuning_job_arn,
            "Environment": request.get("Environment"),
            "CheckpointConfig": request.get("CheckpointConfig"),
            "VpcConfig": request.get("VpcConfig"),
            "ExperimentConfig": request.get("ExperimentConfig"),
            "RetryStrategy": request.get("RetryStrategy"),
        }
        described.update({key: value for key, value in optional.items() if value is not None})
        if self.final_metrics:
            described["FinalMetricDataList"] = list(self.final_metrics)
        if self.start_time and self.end_time:
            seconds = max(1, int((self.end_time - self.start_time).total_seconds()))
            described["TrainingTimeInSeconds"] = seconds
            described["BillableTimeInSeconds"] = seconds
        return described

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "TrainingJobName": self.name,
            "TrainingJobArn": self.arn,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "TrainingJobStatus": self.status.value,
            "SecondaryStatus": self.history.current or "Starting",
        }
        if self.end_time is not None:
            summary["TrainingEndTime"] = self.end_time
        return summary
