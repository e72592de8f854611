"""The other AWS services a SageMaker job touches: S3, CloudWatch Logs and metrics.

Jobs run inside the emulator, so they read and write moto's in-memory backends
directly instead of sending requests: nothing here opens a socket.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends

from .lifecycle import utcnow

S3_LIST_PAGE = 1000


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Uri:
        """Split `s3://bucket/key` (or an https S3 URL) into bucket and key."""
        for scheme in ("s3://", "https://"):
            if uri.startswith(scheme):
                bucket, _, key = uri[len(scheme) :].partition("/")
                if scheme == "https://" and ".s3" in bucket:
                    bucket = bucket.split(".s3", 1)[0]
                return cls(bucket, key)
        raise ValueError(f"{uri!r} is not an S3 URI: use the form s3://bucket/prefix")

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3Store:
    """Read and write objects of one account's S3 backend."""

    def __init__(self, account_id: str, partition: str = "aws") -> None:
        self._backend = s3_backends[account_id][partition]

    def bucket_exists(self, bucket: str) -> bool:
        return bucket in self._backend.buckets

    def list_keys(self, uri: S3Uri) -> list[str]:
        """Return every key under the prefix, sorted; an empty list if the bucket is missing."""
        if not self.bucket_exists(uri.bucket):
            return []
        bucket = self._backend.get_bucket(uri.bucket)
        keys: list[str] = []
        token: str | None = None
        while True:
            page, truncated, token = self._backend.list_objects_v2(
                bucket, uri.key, None, token, None, S3_LIST_PAGE
            )
            keys.extend(item.name for item in page if not isinstance(item, str))
            if not truncated:
                return sorted(keys)

    def read(self, uri: S3Uri) -> bytes | None:
        if not self.bucket_exists(uri.bucket):
            return None
        key = self._backend.get_object(uri.bucket, uri.key)
        return None if key is None else bytes(key.value)

    def write(self, uri: S3Uri, body: bytes) -> None:
        self._backend.put_object(uri.bucket, uri.key, body)


class LogStreamWriter:
    """Append events to one CloudWatch Logs stream, creating group and stream on first use."""

    def __init__(self, account_id: str, region: str, group: str, stream: str) -> None:
        self._backend = logs_backends[account_id][region]
        self.group = group
        self.stream = stream
        self._created = False
        self._lock = threading.Lock()

    def write(self, messages: Iterable[str]) -> None:
        events = [
            {"timestamp": int(utcnow().timestamp() * 1000), "message": message}
            for message in messages
        ]
        if not events:
            return
        with self._lock:
            self._ensure_stream()
            self._backend.put_log_events(self.group, self.stream, events)

    def _ensure_stream(self) -> None:
        if self._created:
            return
        if self.group not in self._backend.groups:
            self._backend.create_log_group(self.group, tags={})
        group = self._backend.groups[self.group]
        if self.stream not in group.streams:
            group.create_log_stream(self.stream)
        self._created = True


def put_metrics(
    account_id: str,
    region: str,
    namespace: str,
    metrics: Sequence[dict[str, Any]],
    timestamp: dt.datetime | None = None,
) -> None:
    """Publish datapoints to CloudWatch; each dict holds MetricName, Value, Unit, Dimensions."""
    stamp = timestamp or utcnow()
    # moto's CloudWatch compares datapoints with the naive UTC times its request parser
    # makes, so an aware timestamp would break GetMetricStatistics and GetMetricData.
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
    data = [{"Timestamp": stamp, **metric} for metric in metrics]
    cloudwatch_backends[account_id][region].put_metric_data(namespace, data)
