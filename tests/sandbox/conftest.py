"""Fixtures for driving the local sandbox through real boto3 clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import sandbox


@pytest.fixture
def session() -> Iterator[sandbox.Session]:
    """A local sandbox session whose state is dropped at the end of the test."""
    with sandbox.connect() as opened:
        yield opened


@pytest.fixture
def sagemaker(session: sandbox.Session) -> Any:
    return session.client("sagemaker")


@pytest.fixture
def s3(session: sandbox.Session) -> Any:
    return session.client("s3")
