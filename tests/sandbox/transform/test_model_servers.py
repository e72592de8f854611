"""Model servers kept between batch transform jobs: reuse, keys and eviction."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import numpy as np
import pytest
import xgboost as xgb

from sandbox.emulator.transform import servers


def _archive(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(50, 3))
    labels = rng.integers(0, 2, size=50)
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(features, label=labels), 2)
    raw = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        member = tarfile.TarInfo("xgboost-model")
        member.size = len(raw)
        archive.addfile(member, io.BytesIO(raw))
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    servers.clear()
    yield
    servers.clear()


def test_same_archive_reuses_server():
    archive = _archive(0)

    first = servers.model_server(archive, {"SAGEMAKER_BATCH": "True"})
    second = servers.model_server(archive, {"SAGEMAKER_BATCH": "True"})

    assert second is first


def test_other_environment_loads_again():
    archive = _archive(0)

    first = servers.model_server(archive, {"SAGEMAKER_BATCH": "True"})
    second = servers.model_server(archive, {"SAGEMAKER_BATCH": "True", "MAX_CONTENT_LENGTH": "1"})

    assert second is not first


def test_overwritten_archive_loads_again():
    first = servers.model_server(_archive(0), {})
    second = servers.model_server(_archive(1), {})

    assert second is not first


def test_oldest_server_is_evicted():
    archive = _archive(0)
    oldest = servers.model_server(archive, {"VARIANT": "0"})
    for index in range(1, servers.CACHE_SIZE + 1):
        servers.model_server(archive, {"VARIANT": str(index)})

    assert servers.model_server(archive, {"VARIANT": "0"}) is not oldest
