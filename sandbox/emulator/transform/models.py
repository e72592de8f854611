"""A batch transform job: its request, status and times."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from .. import changes
from ..lifecycle import JobStatus, utcnow

FAILURE_REASON_LIMIT = 1024


@dataclass
class TransformJob:
    name: str
    arn: str
    request: dict[str, Any]
    account_id: str
    region: str
    status: JobStatus = JobStatus.IN_PROGRESS
    failure_reason: str | None = None
    creation_time: dt.datetime = field(default_factory=utcnow)
    last_modified_time: dt.datetime = field(default_factory=utcnow)
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    stop_requested: threading.Event = field(default_factory=threading.Event, repr=False)
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set_status(self, status: JobStatus) -> None:
        self.status = status
        self.last_modified_time = utcnow()
        changes.notify("TransformJobName", self.name)

    def finish(self, status: JobStatus, failure_reason: str | None = None) -> None:
        """End the job: set the terminal status, end time and failure reason."""
        with self.lock:
            now = utcnow()
            if self.start_time is None:
                self.start_time = now
            self.end_time = now
            if failure_reason is not None:
                self.failure_reason = failure_reason[:FAILURE_REASON_LIMIT]
            self.set_status(status)
        self.finished.set()

    def describe(self) -> dict[str, Any]:
        request = self.request
        described: dict[str, Any] = {
            "TransformJobName": self.name,
            "TransformJobArn": self.arn,
            "TransformJobStatus": self.status.value,
            "ModelName": request["ModelName"],
            "TransformInput": request["TransformInput"],
            "TransformOutput": request["TransformOutput"],
            "TransformResources": request["TransformResources"],
            "CreationTime": self.creation_time,
        }
        for optional in (
            "MaxConcurrentTransforms",
            "MaxPayloadInMB",
            "BatchStrategy",
            "Environment",
            "ModelClientConfig",
            "DataProcessing",
            "DataCaptureConfig",
            "ExperimentConfig",
        ):
            if optional in request:
                described[optional] = request[optional]
        if self.failure_reason:
            described["FailureReason"] = self.failure_reason
        if self.start_time is not None:
            described["TransformStartTime"] = self.start_time
        if self.end_time is not None:
            described["TransformEndTime"] = self.end_time
        return described

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "TransformJobName": self.name,
            "TransformJobArn": self.arn,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "TransformJobStatus": self.status.value,
        }
        if self.end_time is not None:
            summary["TransformEndTime"] = self.end_time
        if self.failure_reason:
            summary["FailureReason"] = self.failure_reason
        return summary
