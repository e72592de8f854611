"""Fixtures for the AWS backend: stubbed clients, and no credentials or network at all."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

StubPlan = Callable[[Stubber], None]


class StubbedAws:
    """A boto3 session whose clients answer from botocore Stubbers planned per service.

    Each client is created for real (so handlers registered on the session apply) and a
    Stubber is attached before the code under test sees it.
    """

    def __init__(self, region: str = "us-east-1") -> None:
        self.boto_session = boto3.Session(
            aws_access_key_id="AKIDSTUBBED0000000000",
            aws_secret_access_key="stubbed-secret",
            region_name=region,
        )
        self.plans: dict[str, StubPlan] = {}
        self.stubbers: dict[str, Stubber] = {}
        create_client = self.boto_session.client

        def client(service_name: str, **kwargs: Any) -> Any:
            created = create_client(service_name, **kwargs)
            stubber = Stubber(created)
            self.plans.get(service_name, lambda stub: None)(stubber)
            stubber.activate()
            self.stubbers[service_name] = stubber
            return created

        self.boto_session.client = client  # type: ignore[method-assign]

    def plan(self, service_name: str, plan: StubPlan) -> None:
        self.plans[service_name] = plan

    def assert_all_answered(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def stubbed() -> StubbedAws:
    return StubbedAws()


@pytest.fixture
def stubbed_in() -> type[StubbedAws]:
    """The StubbedAws class, for a test that needs another region."""
    return StubbedAws


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Refuse and record every socket connection, and hide any real AWS configuration."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError(f"test refused a connection to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "SAGELAB_ROLE_ARN",
        "SAGELAB_LAB",
        "SAGELAB_ALLOWED_INSTANCE_TYPES",
        "SAGELAB_MAX_INSTANCES",
        "SAGELAB_GUARDRAILS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/sagelab-aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sagelab-aws-credentials")
    return attempts
