"""A local sandbox with small training data, shared by the tests of one module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from tuning_helpers import upload_data

import sandbox


@pytest.fixture(scope="module")
def tuning_session() -> Iterator[sandbox.Session]:
    """A local session kept for the whole module, so that tuning jobs can be compared."""
    with sandbox.connect("local") as local:
        upload_data(local)
        yield local


@pytest.fixture(scope="module")
def sm(tuning_session: sandbox.Session) -> Any:
    return tuning_session.client("sagemaker")


@pytest.fixture
def name() -> str:
    """Return a fresh tuning job name (at most 32 characters)."""
    return f"tune-{uuid.uuid4().hex[:12]}"
