"""CloudWatch Logs of a transform job: the container's stream and its data log.

Streams live in group `/aws/sagemaker/TransformJobs`, named `<job>/<instance id>` for
the container and `<job>/<instance id>/data-log` for the per-object records that
SageMaker writes (`<time>:[sagemaker logs]: <bucket>/<key>: ClientError: 415`).
"""

from __future__ import annotations

import datetime as dt
import secrets

from ..services import LogStreamWriter

LOG_GROUP = "/aws/sagemaker/TransformJobs"


class TransformLog:
    def __init__(self, account_id: str, region: str, job_name: str) -> None:
        instance = f"i-{secrets.token_hex(9)[:17]}"
        stream = f"{job_name}/{instance}"
        self._instance = LogStreamWriter(account_id, region, LOG_GROUP, stream)
        self._data = LogStreamWriter(account_id, region, LOG_GROUP, f"{stream}/data-log")

    def instance(self, message: str) -> None:
        """Write a line of the serving container."""
        stamp = dt.datetime.now(dt.timezone.utc)
        self._instance.write([f"[{stamp:%Y-%m-%d:%H:%M:%S}:INFO] {message}"])

    def data(self, message: str) -> None:
        """Write a line of the data log."""
        stamp = dt.datetime.now(dt.timezone.utc)
        milliseconds = stamp.microsecond // 1000
        self._data.write(
            [f"{stamp:%Y-%m-%dT%H:%M:%S}.{milliseconds:03d}:[sagemaker logs]: {message}"]
        )
