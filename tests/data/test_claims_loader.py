"""load_claims: default file, SAGELAB_DATA override, dtypes and schema errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sagelab.data import (
    AGE_BANDS,
    COLUMNS,
    DATA_ENV_VAR,
    DEFAULT_CSV_PATH,
    DatasetError,
    generate_claims,
    load_claims,
    validate_claims,
)
from sagelab.features import prepare_all

SCHEMA_COLUMNS = ", ".join(COLUMNS)


def _rewrite(source: Path, target: Path, old: str, new: str, line: int) -> Path:
    """Copy a CSV, replacing `old` by `new` once on one line (1 = header)."""
    lines = source.read_text().splitlines(keepends=True)
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    target.write_text("".join(lines))
    return target


def test_default_is_bundled_file(claims: pd.DataFrame) -> None:
    assert len(claims) == 10_000
    assert claims["ID"].iloc[0] == int(DEFAULT_CSV_PATH.read_text().splitlines()[1].split(",")[0])


def test_dtypes_normalised(claims: pd.DataFrame) -> None:
    for name in ("AGE", "DRIVING_EXPERIENCE", "EDUCATION", "INCOME", "VEHICLE_YEAR"):
        assert isinstance(claims[name].dtype, pd.CategoricalDtype), name
        assert claims[name].cat.ordered, name
    for name in ("GENDER", "RACE", "POSTAL_CODE", "VEHICLE_TYPE"):
        assert isinstance(claims[name].dtype, pd.CategoricalDtype), name
        assert not claims[name].cat.ordered, name
    for name in ("ID", "VEHICLE_OWNERSHIP", "MARRIED", "CHILDREN", "OUTCOME", "DUIS"):
        assert claims[name].dtype == "int64", name
    for name in ("CREDIT_SCORE", "ANNUAL_MILEAGE"):
        assert claims[name].dtype == "float64", name
    assert list(claims["AGE"].cat.categories) == list(AGE_BANDS)
    assert claims["AGE"].min() == "16-25"


def test_env_override(monkeypatch: pytest.MonkeyPatch, small_csv: Path) -> None:
    monkeypatch.setenv(DATA_ENV_VAR, str(small_csv))
    loaded = load_claims()
    pd.testing.assert_frame_equal(loaded, generate_claims(rows=200, seed=5))


def test_env_override_reaches_pipeline(monkeypatch: pytest.MonkeyPatch, small_csv: Path) -> None:
    monkeypatch.setenv(DATA_ENV_VAR, str(small_csv))
    prepared = prepare_all(load_claims(), seed=1)
    assert len(prepared.train) + len(prepared.validation) + len(prepared.test) == 200


def test_explicit_path_beats_env(monkeypatch: pytest.MonkeyPatch, small_csv: Path) -> None:
    monkeypatch.setenv(DATA_ENV_VAR, str(small_csv))
    assert len(load_claims(DEFAULT_CSV_PATH)) == 10_000


def test_empty_env_means_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_ENV_VAR, "")
    assert len(load_claims()) == 10_000


def test_public_file_layout_accepted(tmp_path: Path) -> None:
    """Integer flags, shuffled column order and spaces after commas all load."""
    frame = generate_claims(rows=30, seed=8)
    shuffled = frame[list(reversed(COLUMNS))]
    path = tmp_path / "public_like.csv"
    shuffled.to_csv(path, index=False, sep=",")
    text = path.read_text().replace(",", ", ")
    path.write_text(text)

    pd.testing.assert_frame_equal(load_claims(path), frame)


def test_missing_column_named(tmp_path: Path) -> None:
    frame = generate_claims(rows=20, seed=1).drop(columns=["DUIS"])
    path = tmp_path / "no_duis.csv"
    frame.to_csv(path, index=False)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    assert str(error.value) == (
        f"{path}: column 'DUIS' is missing. The file must have these 19 columns: "
        f"{SCHEMA_COLUMNS}. Fix the header, or unset SAGELAB_DATA to use the bundled dataset."
    )
    assert error.value.column == "DUIS"
    assert isinstance(error.value, ValueError)


def test_misspelt_column_named_by_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _rewrite(DEFAULT_CSV_PATH, tmp_path / "typo.csv", "CREDIT_SCORE", "Credit_Scor", 1)
    monkeypatch.setenv(DATA_ENV_VAR, str(path))

    with pytest.raises(DatasetError) as error:
        load_claims()

    assert str(error.value) == (
        f"{path} (set by SAGELAB_DATA): column 'CREDIT_SCORE' is missing. The file has a "
        "column 'Credit_Scor': rename it to 'CREDIT_SCORE'. The file must have these 19 "
        f"columns: {SCHEMA_COLUMNS}. Fix the header, or unset SAGELAB_DATA to use the "
        "bundled dataset."
    )


def test_unexpected_column(tmp_path: Path) -> None:
    frame = generate_claims(rows=20, seed=1).assign(STATE="NY")
    path = tmp_path / "extra.csv"
    frame.to_csv(path, index=False)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    assert str(error.value) == (
        f"{path}: unexpected column 'STATE'. The file must have exactly these 19 columns: "
        f"{SCHEMA_COLUMNS}. Remove the extra column."
    )


def test_value_outside_categories(small_csv: Path, tmp_path: Path) -> None:
    line = 2
    row = small_csv.read_text().splitlines()[line - 1]
    income = next(
        value for value in row.split(",") if value.endswith("class") or value == "poverty"
    )
    path = _rewrite(small_csv, tmp_path / "bad_income.csv", f",{income},", ",rich,", line)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    assert str(error.value) == (
        f"{path}: column 'INCOME' has the value 'rich' on line 2, which is not one of its "
        "categories: 'poverty', 'working class', 'middle class', 'upper class'. Recode the "
        "value in the file to one of these categories."
    )
    assert error.value.value == "rich"


def test_unknown_postal_code(tmp_path: Path) -> None:
    frame = generate_claims(rows=20, seed=1)
    frame["POSTAL_CODE"] = frame["POSTAL_CODE"].astype(int)
    frame.loc[3, "POSTAL_CODE"] = 90210
    path = tmp_path / "zip.csv"
    frame.to_csv(path, index=False)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    assert str(error.value) == (
        f"{path}: column 'POSTAL_CODE' has the value 90210 on line 5, which is not one of its "
        "categories: 10238, 21217, 32765, 92101. Recode the value in the file to one of "
        "these categories."
    )


def test_text_in_flag_column(tmp_path: Path) -> None:
    frame = generate_claims(rows=20, seed=1).astype({"MARRIED": object})
    frame.loc[0, "MARRIED"] = "yes"
    path = tmp_path / "married.csv"
    frame.to_csv(path, index=False)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    assert str(error.value) == (
        f"{path}: column 'MARRIED' has the non-numeric value 'yes' on line 2, but it must "
        "contain 0 or 1 (1.0 and 0.0 are accepted). Fix the value, or check that the columns "
        "are not shifted or swapped."
    )


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("OUTCOME", 2, "0 or 1 (1.0 and 0.0 are accepted)"),
        ("CREDIT_SCORE", 1.5, "a number from 0 to 1, or an empty cell when unknown"),
        ("DUIS", -1, "a whole number of 0 or more"),
        ("DUIS", 0.5, "a whole number of 0 or more"),
    ],
)
def test_value_out_of_range(tmp_path: Path, column: str, value: float, expected: str) -> None:
    frame = generate_claims(rows=20, seed=1).astype({column: float})
    frame.loc[6, column] = value
    path = tmp_path / "range.csv"
    frame.to_csv(path, index=False)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    assert str(error.value) == (
        f"{path}: column {column!r} has the value {value:g} on line 8, but it must contain "
        f"{expected}. Fix the value in the file."
    )
    assert error.value.column == column


def test_missing_value_in_required_column(tmp_path: Path) -> None:
    frame = generate_claims(rows=20, seed=1).astype({"AGE": object})
    frame.loc[[4, 9], "AGE"] = None
    path = tmp_path / "no_age.csv"
    frame.to_csv(path, index=False)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    assert str(error.value) == (
        f"{path}: column 'AGE' has 2 missing values (first on line 6), but only CREDIT_SCORE and "
        "ANNUAL_MILEAGE may be empty. Fill or drop those rows in the file."
    )


def test_file_not_found_via_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    monkeypatch.setenv(DATA_ENV_VAR, str(path))

    with pytest.raises(DatasetError) as error:
        load_claims()

    assert str(error.value) == (
        f"{path} (set by SAGELAB_DATA): file not found. Point SAGELAB_DATA at a readable CSV "
        "file, or unset it to use the bundled dataset."
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "No columns to parse from file"),
        (b"\xff\xfe\x00\x81 binary", "'utf-8' codec can't decode byte 0xff"),
    ],
)
def test_unreadable_file(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)

    with pytest.raises(DatasetError) as error:
        load_claims(path)

    message = str(error.value)
    assert message.startswith(f"{path}: cannot read the file as CSV (")
    assert reason in message
    assert message.endswith(
        ". Point SAGELAB_DATA at a readable CSV file, or unset it to use the bundled dataset."
    )


def test_validate_without_id() -> None:
    frame = generate_claims(rows=10, seed=1).drop(columns=["ID"])
    validated = validate_claims(frame, require_id=False)
    assert "ID" not in validated.columns
    assert len(validated.columns) == 18


def test_validate_requires_id_by_default() -> None:
    frame = generate_claims(rows=10, seed=1).drop(columns=["ID"])
    with pytest.raises(DatasetError) as error:
        validate_claims(frame)
    assert error.value.column == "ID"
    assert str(error.value).startswith("<frame>: column 'ID' is missing.")
