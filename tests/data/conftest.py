"""Fixtures shared by the claims data and feature pipeline tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sagelab.data import DATA_ENV_VAR, generate_claims, load_claims, write_claims_csv


@pytest.fixture(autouse=True)
def _no_data_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a SAGELAB_DATA set in the caller's shell from changing what tests load."""
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)


@pytest.fixture(scope="session")
def claims() -> pd.DataFrame:
    """The bundled 10,000-row file, loaded once."""
    return load_claims()


@pytest.fixture()
def small_csv(tmp_path: Path) -> Path:
    """A 200-row generated file with another seed than the bundled one."""
    path = tmp_path / "small.csv"
    write_claims_csv(generate_claims(rows=200, seed=5), path)
    return path
