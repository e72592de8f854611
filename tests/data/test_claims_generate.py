"""Generator output: schema, rates, structure, determinism and the CLI."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sagelab.data import (
    AGE_BANDS,
    COLUMNS,
    DEFAULT_CSV_PATH,
    EXPERIENCE_BANDS,
    generate_claims,
    write_claims_csv,
)
from sagelab.data.cli import main


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    write_claims_csv(frame, buffer)
    return buffer.getvalue().encode()


def test_columns_in_schema_order(claims: pd.DataFrame) -> None:
    header = DEFAULT_CSV_PATH.read_text().splitlines()[0]
    assert header.split(",") == list(COLUMNS)
    assert list(claims.columns) == list(COLUMNS)
    assert list(generate_claims(rows=5).columns) == list(COLUMNS)


def test_bundled_file_row_count(claims: pd.DataFrame) -> None:
    assert len(claims) == 10_000
    assert claims["ID"].is_unique


def test_flags_written_as_floats() -> None:
    first_row = DEFAULT_CSV_PATH.read_text().splitlines()[1].split(",")
    by_name = dict(zip(COLUMNS, first_row, strict=True))
    for name in ("VEHICLE_OWNERSHIP", "MARRIED", "CHILDREN", "OUTCOME"):
        assert by_name[name] in ("0.0", "1.0"), name
    for name in ("SPEEDING_VIOLATIONS", "DUIS", "PAST_ACCIDENTS"):
        assert by_name[name].isdigit(), name


@pytest.mark.parametrize(
    ("column", "expected", "tolerance"),
    [
        ("OUTCOME", 0.31, 0.015),
        ("VEHICLE_OWNERSHIP", 0.70, 0.03),
        ("MARRIED", 0.50, 0.03),
        ("CHILDREN", 0.69, 0.03),
    ],
)
def test_flag_rates(claims: pd.DataFrame, column: str, expected: float, tolerance: float) -> None:
    assert claims[column].mean() == pytest.approx(expected, abs=tolerance)


@pytest.mark.parametrize("column", ["CREDIT_SCORE", "ANNUAL_MILEAGE"])
def test_missing_rates(claims: pd.DataFrame, column: str) -> None:
    assert claims[column].isna().mean() == pytest.approx(0.10, abs=0.01)


def test_no_other_missing_values(claims: pd.DataFrame) -> None:
    complete = claims.drop(columns=["CREDIT_SCORE", "ANNUAL_MILEAGE"])
    assert not complete.isna().any().any()


def test_category_shares(claims: pd.DataFrame) -> None:
    assert claims["AGE"].value_counts(normalize=True)["16-25"] == pytest.approx(0.20, abs=0.02)
    assert claims["RACE"].value_counts(normalize=True)["minority"] == pytest.approx(0.10, abs=0.02)
    assert claims["VEHICLE_TYPE"].value_counts(normalize=True)["sports car"] == pytest.approx(
        0.05, abs=0.015
    )
    assert claims["POSTAL_CODE"].value_counts().idxmax() == 10238
    assert claims["INCOME"].value_counts().idxmax() == "upper class"


def test_value_ranges(claims: pd.DataFrame) -> None:
    assert claims["CREDIT_SCORE"].dropna().between(0.0, 1.0).all()
    mileage = claims["ANNUAL_MILEAGE"].dropna()
    assert mileage.between(2_000, 22_000).all()
    assert (mileage % 1_000 == 0).all()
    for name in ("SPEEDING_VIOLATIONS", "DUIS", "PAST_ACCIDENTS"):
        assert (claims[name] >= 0).all(), name


@pytest.mark.parametrize(("rows", "seed"), [(10_000, 2024), (50_000, 17)])
def test_experience_never_exceeds_age(rows: int, seed: int) -> None:
    frame = generate_claims(rows=rows, seed=seed)
    age_rank = frame["AGE"].cat.codes.to_numpy()
    experience_rank = frame["DRIVING_EXPERIENCE"].cat.codes.to_numpy()

    assert (experience_rank <= age_rank).all()
    assert set(frame.loc[frame["AGE"] == "16-25", "DRIVING_EXPERIENCE"]) == {"0-9y"}
    assert set(frame.loc[frame["AGE"] == "65+", "DRIVING_EXPERIENCE"]) == set(EXPERIENCE_BANDS)


def _claim_rate(frame: pd.DataFrame, mask: pd.Series) -> float:
    return float(frame.loc[mask, "OUTCOME"].mean())


def test_claim_rate_patterns(claims: pd.DataFrame) -> None:
    age, experience = claims["AGE"], claims["DRIVING_EXPERIENCE"]
    assert _claim_rate(claims, age == AGE_BANDS[0]) > 2 * _claim_rate(claims, age == AGE_BANDS[-1])
    assert _claim_rate(claims, experience == "0-9y") > 2 * _claim_rate(claims, experience == "30y+")
    owners = claims["VEHICLE_OWNERSHIP"] == 1
    assert _claim_rate(claims, ~owners) > _claim_rate(claims, owners) + 0.2
    married = claims["MARRIED"] == 1
    assert _claim_rate(claims, ~married) > _claim_rate(claims, married) + 0.1

    credit = claims["CREDIT_SCORE"]
    assert _claim_rate(claims, credit < credit.quantile(0.25)) > 2 * _claim_rate(
        claims, credit > credit.quantile(0.75)
    )
    mileage = claims["ANNUAL_MILEAGE"]
    assert _claim_rate(claims, mileage >= 14_000) > _claim_rate(claims, mileage <= 9_000) + 0.1


@pytest.mark.parametrize("incident", ["SPEEDING_VIOLATIONS", "DUIS", "PAST_ACCIDENTS"])
def test_incidents_raise_claim_rate(claims: pd.DataFrame, incident: str) -> None:
    # Compared within one experience band: incidents pile up with years on the road,
    # while experienced drivers claim less.
    novices = claims[claims["DRIVING_EXPERIENCE"] == "0-9y"]
    with_incidents = _claim_rate(novices, novices[incident] >= 1)
    without = _claim_rate(novices, novices[incident] == 0)
    assert with_incidents > without + 0.05


def test_group_medians_beat_global_mean(claims: pd.DataFrame) -> None:
    for column, group_by in (
        ("CREDIT_SCORE", ["INCOME"]),
        ("ANNUAL_MILEAGE", ["MARRIED", "CHILDREN"]),
    ):
        known = claims.dropna(subset=[column])
        group_median = known.groupby(group_by, observed=True)[column].transform("median")
        group_error = (known[column] - group_median).abs().mean()
        global_error = (known[column] - known[column].mean()).abs().mean()
        assert group_error < 0.9 * global_error, column


def test_same_seed_same_bytes() -> None:
    first = _csv_bytes(generate_claims(rows=2_000, seed=99))
    second = _csv_bytes(generate_claims(rows=2_000, seed=99))
    assert first == second


def test_other_seed_other_bytes() -> None:
    assert _csv_bytes(generate_claims(rows=500, seed=1)) != _csv_bytes(
        generate_claims(rows=500, seed=2)
    )


def test_cli_reproduces_bundled_file(tmp_path: Path) -> None:
    out = tmp_path / "claims.csv"
    assert main(["--rows", "10000", "--seed", "2024", "--out", str(out)]) == 0
    assert out.read_bytes() == DEFAULT_CSV_PATH.read_bytes()


def test_cli_defaults_are_bundled_file(tmp_path: Path) -> None:
    out = tmp_path / "claims.csv"
    assert main(["--out", str(out)]) == 0
    assert out.read_bytes() == DEFAULT_CSV_PATH.read_bytes()


def test_module_cli_writes_stdout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sagelab.data", "--rows", "50", "--seed", "3"],
        capture_output=True,
        check=True,
    )
    assert result.stdout == _csv_bytes(generate_claims(rows=50, seed=3))


def test_module_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sagelab.data", "--help"], capture_output=True, text=True, check=True
    )
    assert "--rows ROWS" in result.stdout
    assert "--seed SEED" in result.stdout
    assert "--out OUT" in result.stdout


def test_cli_rejects_zero_rows(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--rows", "0"])
    assert exit_info.value.code == 2
    assert "argument --rows: must be 1 or more, got 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("rows", "seed", "message"),
    [
        (0, 1, "rows must be a positive integer, got 0"),
        (2.5, 1, "rows must be a positive integer, got 2.5"),
        (10, -1, "seed must be a non-negative integer, got -1"),
    ],
)
def test_generate_rejects_bad_arguments(rows: object, seed: object, message: str) -> None:
    with pytest.raises(ValueError) as error:
        generate_claims(rows=rows, seed=seed)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_loaded_file_equals_generated_frame(claims: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(claims, generate_claims())


def test_single_row() -> None:
    frame = generate_claims(rows=1, seed=0)
    assert frame.shape == (1, len(COLUMNS))
    assert np.isin(frame["OUTCOME"], [0, 1]).all()
