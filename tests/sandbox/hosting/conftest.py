"""A local sandbox and one small trained model, shared by the tests of one module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hosting_helpers import train_model

import sandbox


@pytest.fixture(scope="module")
def hosting_session() -> Iterator[sandbox.Session]:
    with sandbox.connect("local") as local:
        yield local


@pytest.fixture(scope="module")
def model_data_url(hosting_session: sandbox.Session) -> str:
    """The ModelDataUrl of a 5-round model, trained once per module."""
    return train_model(hosting_session, f"hosting-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def sm(hosting_session: sandbox.Session) -> Any:
    return hosting_session.client("sagemaker")


@pytest.fixture(scope="module")
def runtime(hosting_session: sandbox.Session) -> Any:
    return hosting_session.client("sagemaker-runtime")


@pytest.fixture
def name() -> str:
    """Return a fresh resource name."""
    return f"ep-{uuid.uuid4().hex[:10]}"
