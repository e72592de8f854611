"""A local sandbox and one model trained once, shared by the tests of one module."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sandbox

sys.path.insert(0, str(Path(__file__).parent.parent / "hosting"))

from hosting_helpers import create_model, train_model  # noqa: E402


@pytest.fixture(scope="module")
def transform_session() -> Iterator[sandbox.Session]:
    with sandbox.connect("local") as local:
        yield local


@pytest.fixture(scope="module")
def model_data_url(transform_session: sandbox.Session) -> str:
    return train_model(transform_session, f"transform-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def model(transform_session: sandbox.Session, model_data_url: str) -> str:
    name = f"transform-model-{uuid.uuid4().hex[:8]}"
    create_model(transform_session, name, model_data_url)
    return name


@pytest.fixture(scope="module")
def sm(transform_session: sandbox.Session) -> Any:
    return transform_session.client("sagemaker")


@pytest.fixture
def name() -> str:
    return f"tj-{uuid.uuid4().hex[:10]}"
