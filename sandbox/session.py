"""`sandbox.connect()`: one object that hands out boto3 clients for the chosen backend.

Local backend (the default): moto's in-process mock with the sandbox's SageMaker
behind it. Nothing leaves the machine, whatever credentials the user has configured.
AWS backend (`SAGELAB_BACKEND=aws`): the default credential chain and a real account.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from . import guard, images
from .waiters import fast_waiter_path, sleep_full_delay, wake_on_change

logger = logging.getLogger(__name__)

BACKENDS = ("local", "aws")
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_ROLE_NAME = "SageLabSageMakerRole"
DEFAULT_REGION = "us-east-1"


class SandboxError(RuntimeError):
    """A sandbox configuration error whose message names the value and the fix."""


class Session:
    """A connection to one backend: its clients, bucket, role, region and image URIs."""

    backend: str
    region: str
    account_id: str
    bucket: str
    role_arn: str

    def __init__(self, boto_session: boto3.Session) -> None:
        self.boto_session = boto_session
        self.closed = False

    def client(self, service_name: str, **kwargs: Any) -> Any:
        if self.closed:
            raise SandboxError("this sandbox session is closed: call sandbox.connect() again")
        return self.boto_session.client(service_name, region_name=self.region, **kwargs)

    def image_uri(self, framework: str, version: str) -> str:
        """Return the built-in algorithm image URI for this session's region."""
        return images.image_uri(framework, version, self.region)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<sandbox {self.backend} session region={self.region} "
            f"bucket={self.bucket} role={self.role_arn}>"
        )


class LocalSession(Session):
    """The local SageMaker: moto with real training and serving, in this process."""

    backend = "local"

    def __init__(self, region: str) -> None:
        _LocalMock.acquire()
        self.region = region
        self.account_id = LOCAL_ACCOUNT_ID
        boto_session = boto3.Session(
            aws_access_key_id="sandbox-local",
            aws_secret_access_key="sandbox-local",
            region_name=region,
        )
        loader = boto_session._session.get_component("data_loader")
        loader.search_paths.insert(0, str(fast_waiter_path()))
        super().__init__(boto_session)
        self.role_arn = f"arn:aws:iam::{self.account_id}:role/{LOCAL_ROLE_NAME}"
        self.bucket = f"sagemaker-{region}-{self.account_id}"
        self._ensure_bucket()

    def client(self, service_name: str, **kwargs: Any) -> Any:
        config = Config(ignore_configured_endpoint_urls=True)
        if "config" in kwargs:
            config = config.merge(kwargs.pop("config"))
        if kwargs.get("endpoint_url"):
            raise SandboxError(
                f"endpoint_url={kwargs['endpoint_url']!r} is not allowed in local mode: the "
                "sandbox answers every call in this process. Drop the argument, or use "
                "`python -m sandbox serve` and a plain boto3 client to talk to a sandbox server."
            )
        client = super().client(service_name, config=config, **kwargs)
        return client

    def close(self) -> None:
        if not self.closed:
            super().close()
            _LocalMock.release()

    def _ensure_bucket(self) -> None:
        s3 = self.client("s3")
        existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
        if self.bucket in existing:
            return
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=self.bucket)
        else:
            s3.create_bucket(
                Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": self.region}
            )


class _LocalMock:
    """The process-wide moto mock, started by the first local session.

    Later sessions share its state, so rerunning `sandbox.connect()` in a notebook keeps
    the buckets, jobs and endpoints created so far. The state is dropped when the last
    open session closes.
    """

    _lock = threading.Lock()
    _sessions = 0
    _mock: Any = None

    @classmethod
    def acquire(cls) -> None:
        with cls._lock:
            if cls._sessions == 0:
                from moto import mock_aws

                from .emulator import install

                install()
                cls._mock = mock_aws()
                cls._mock.start(reset=True)
                guard.activate()
                wake_on_change()
                os.environ["AWS_DATA_PATH"] = _prepend_path(
                    str(fast_waiter_path()), os.environ.get("AWS_DATA_PATH")
                )
                logger.info("local sandbox started")
            cls._sessions += 1

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            cls._sessions -= 1
            if cls._sessions == 0:
                from .emulator import stop_running_jobs
                from .emulator.transform import servers

                stop_running_jobs()
                servers.clear()
                guard.deactivate()
                sleep_full_delay()
                cls._mock.stop()
                cls._mock = None
                logger.info("local sandbox stopped and its state dropped")


def _prepend_path(entry: str, existing: str | None) -> str:
    parts = [entry] + [
        part for part in (existing or "").split(os.pathsep) if part and part != entry
    ]
    return os.pathsep.join(parts)


def _check_region(region: str) -> None:
    """Raise SandboxError unless SageMaker is offered in the region (per botocore's data)."""
    session = botocore.session.get_session()
    known = {
        name
        for partition in session.get_available_partitions()
        for name in session.get_available_regions("sagemaker", partition_name=partition)
    }
    if region not in known:
        raise SandboxError(
            f"region {region!r} has no SageMaker: set SAGELAB_REGION (or the region argument) "
            f"to one of {', '.join(sorted(known))}"
        )


def connect(backend: str | None = None, *, region: str | None = None) -> Session:
    """Return a session on the backend named by `backend` or SAGELAB_BACKEND (default local)."""
    chosen = (backend or os.environ.get("SAGELAB_BACKEND") or "local").strip().lower()
    if chosen not in BACKENDS:
        raise SandboxError(
            f"SAGELAB_BACKEND={chosen!r} is not a backend: use 'local' (the default, no AWS "
            "account needed) or 'aws' (a real account, which costs money)"
        )
    if chosen == "local":
        local_region = region or os.environ.get("SAGELAB_REGION") or DEFAULT_REGION
        _check_region(local_region)
        return LocalSession(local_region)
    from .aws import AwsSession

    return AwsSession(region)
