"""Load the claims dataset, bundled or user-supplied, and check it against the schema.

Every lab and tool reads the data through `load_claims`, so pointing the environment
variable SAGELAB_DATA at another CSV with the same 19 columns (for example the public
"car insurance claim" file) switches the whole course to that file.
"""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from sagelab.data.schema import COLUMNS, COLUMNS_BY_NAME, ID_COLUMN, Column, Kind

logger = logging.getLogger(__name__)

DATA_ENV_VAR = "SAGELAB_DATA"
DEFAULT_CSV_PATH = Path(__file__).with_name("car_insurance_claims.csv")


class DatasetError(ValueError):
    """A claims file or frame that does not match the schema.

    The message names the file, the column or value at fault, and the fix. The
    attributes keep the same facts for programs.
    """

    def __init__(
        self, message: str, *, source: str, column: str | None = None, value: object = None
    ) -> None:
        super().__init__(message)
        self.source = source
        self.column = column
        self.value = value


def resolve_claims_path(path: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """Return the CSV path to read and a label for messages naming where it came from.

    An explicit `path` wins, then the SAGELAB_DATA environment variable, then the
    bundled file. An empty SAGELAB_DATA counts as unset.
    """
    if path is not None:
        return Path(path), str(path)
    from_env = os.environ.get(DATA_ENV_VAR, "")
    if from_env:
        return Path(from_env), f"{from_env} (set by {DATA_ENV_VAR})"
    return DEFAULT_CSV_PATH, str(DEFAULT_CSV_PATH)


def load_claims(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Read a claims CSV and return it with normalised dtypes, in schema column order.

    Without `path`, the file named by SAGELAB_DATA is read, or else the bundled
    10,000-row file. Ordinal columns become ordered categoricals, nominal ones
    unordered categoricals, the 0/1 flags, OUTCOME, counts and ID int64, and
    CREDIT_SCORE and ANNUAL_MILEAGE float64 with NaN for missing cells. Flags written
    as floats (``1.0``) are accepted. Raises DatasetError for an unreadable file, a
    missing or unexpected column, or a value outside its column's declared set or range.
    """
    csv_path, source = resolve_claims_path(path)
    raw = _read_text_columns(csv_path, source)
    frame = validate_claims(raw, source=source)
    logger.info("loaded %d claims rows from %s", len(frame), source)
    return frame


def _read_text_columns(csv_path: Path, source: str) -> pd.DataFrame:
    fix = f"Point {DATA_ENV_VAR} at a readable CSV file, or unset it to use the bundled dataset"
    if not csv_path.is_file():
        raise DatasetError(f"{source}: file not found. {fix}.", source=source)
    try:
        return pd.read_csv(csv_path, dtype=str, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DatasetError(
            f"{source}: cannot read the file as CSV ({error}). {fix}.", source=source
        ) from error


def validate_claims(
    frame: pd.DataFrame, *, source: str = "<frame>", require_id: bool = True
) -> pd.DataFrame:
    """Check a claims frame against the schema and return a copy with normalised dtypes.

    Accepts text columns (as read from a CSV) or already-typed columns. Columns are
    reordered to the schema order and the index is reset. With ``require_id=False`` a
    frame without the ID column is accepted and the result has no ID column either.
    See `load_claims` for the dtypes and errors.
    """
    expected = list(COLUMNS)
    if not require_id and ID_COLUMN not in frame.columns:
        expected.remove(ID_COLUMN)
    _check_column_names(list(frame.columns), expected, source)
    normalised = {
        name: _normalise_column(frame[name], COLUMNS_BY_NAME[name], source) for name in expected
    }
    return pd.DataFrame(normalised, columns=expected)


def _check_column_names(found: list[str], expected: list[str], source: str) -> None:
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    if missing:
        name = missing[0]
        raise DatasetError(
            f"{source}: column {name!r} is missing.{_rename_hint(name, unexpected)} The file "
            f"must have these {len(expected)} columns: {', '.join(expected)}. Fix the header, "
            f"or unset {DATA_ENV_VAR} to use the bundled dataset.",
            source=source,
            column=name,
        )
    if unexpected:
        raise DatasetError(
            f"{source}: unexpected column {unexpected[0]!r}. The file must have exactly these "
            f"{len(expected)} columns: {', '.join(expected)}. Remove the extra column.",
            source=source,
            column=str(unexpected[0]),
        )


def _rename_hint(name: str, unexpected: list[str]) -> str:
    """Return a sentence naming the unexpected column that looks like a misspelt `name`."""
    by_lowered = {str(found).lower(): str(found) for found in unexpected}
    close = difflib.get_close_matches(name.lower(), list(by_lowered), n=1)
    if not close:
        return ""
    return f" The file has a column {by_lowered[close[0]]!r}: rename it to {name!r}."


def _normalise_column(series: pd.Series, column: Column, source: str) -> pd.Series:
    series = series.reset_index(drop=True)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    _check_no_missing(series, column, source)
    if column.kind in (Kind.ORDINAL, Kind.NOMINAL):
        return _to_categorical(series, column, source)
    numbers = _to_numbers(series, column, source)
    _check_range(numbers, column, source)
    if column.kind is Kind.FLOAT:
        return numbers.astype(np.float64)
    _check_whole(numbers, column, source)
    return numbers.astype(np.int64)


def _line_of(row: int) -> int:
    """Return the CSV line number of a data row: line 1 is the header."""
    return row + 2


def _check_no_missing(series: pd.Series, column: Column, source: str) -> None:
    missing = series.isna()
    if column.nullable or not missing.any():
        return
    first = int(np.flatnonzero(missing.to_numpy())[0])
    raise DatasetError(
        f"{source}: column {column.name!r} has {int(missing.sum())} missing values (first on line "
        f"{_line_of(first)}), but only CREDIT_SCORE and ANNUAL_MILEAGE may be empty. Fill or drop "
        "those rows in the file.",
        source=source,
        column=column.name,
    )


def _to_categorical(series: pd.Series, column: Column, source: str) -> pd.Series:
    if column.categories and isinstance(column.categories[0], int):
        values = _to_numbers(series, column, source)
        _check_whole(values, column, source)
        values = values.astype(np.int64)
    else:
        values = series.astype(str).str.strip()

    unknown = ~values.isin(column.categories)
    if unknown.any():
        first = int(np.flatnonzero(unknown.to_numpy())[0])
        value = values.iloc[first]
        value = value.item() if isinstance(value, np.generic) else value
        allowed = ", ".join(repr(category) for category in column.categories)
        raise DatasetError(
            f"{source}: column {column.name!r} has the value {value!r} on line {_line_of(first)}, "
            f"which is not one of its categories: {allowed}. Recode the value in the file to one "
            "of these categories.",
            source=source,
            column=column.name,
            value=value,
        )

    categorical = pd.Categorical(
        values, categories=list(column.categories), ordered=column.kind is Kind.ORDINAL
    )
    return pd.Series(categorical, name=column.name)


def _to_numbers(series: pd.Series, column: Column, source: str) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    invalid = numbers.isna() & series.notna()
    if invalid.any():
        first = int(np.flatnonzero(invalid.to_numpy())[0])
        value = series.iloc[first]
        raise DatasetError(
            f"{source}: column {column.name!r} has the non-numeric value {value!r} on line "
            f"{_line_of(first)}, but it must contain {_expected_values(column)}. Fix the value, "
            "or check that the columns are not shifted or swapped.",
            source=source,
            column=column.name,
            value=value,
        )
    return numbers.astype(np.float64)


def _expected_values(column: Column) -> str:
    if column.kind is Kind.FLAG:
        return "0 or 1 (1.0 and 0.0 are accepted)"
    if column.kind is Kind.COUNT:
        return "a whole number of 0 or more"
    if column.kind is Kind.ID:
        return "an integer identifier"
    if column.kind is Kind.NOMINAL:
        return "one of " + ", ".join(str(category) for category in column.categories)
    upper = "" if column.maximum is None else f" to {column.maximum:g}"
    return f"a number from {column.minimum:g}{upper}, or an empty cell when unknown"


def _check_range(numbers: pd.Series, column: Column, source: str) -> None:
    if column.kind is Kind.FLAG:
        bad = numbers.notna() & ~numbers.isin([0.0, 1.0])
    else:
        too_low = numbers < column.minimum if column.minimum is not None else False
        too_high = numbers > column.maximum if column.maximum is not None else False
        bad = pd.Series(too_low | too_high, index=numbers.index)
    if bad.any():
        _raise_bad_value(numbers, bad, column, source)


def _check_whole(numbers: pd.Series, column: Column, source: str) -> None:
    bad = numbers.notna() & (numbers != np.round(numbers))
    if bad.any():
        _raise_bad_value(numbers, bad, column, source)


def _raise_bad_value(numbers: pd.Series, bad: pd.Series, column: Column, source: str) -> None:
    first = int(np.flatnonzero(bad.to_numpy())[0])
    value = float(numbers.iloc[first])
    raise DatasetError(
        f"{source}: column {column.name!r} has the value {value:g} on line {_line_of(first)}, "
        f"but it must contain {_expected_values(column)}. Fix the value in the file.",
        source=source,
        column=column.name,
        value=value,
    )
