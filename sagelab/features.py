"""Data preparation shared by labs 02-08: impute, encode, split and write training CSVs.

`prepare_all` runs the whole stage in one call, so a later lab can rebuild what lab 02
produced. The steps are public too, for labs that walk through them one by one:

1. `split` the claims stratified on OUTCOME into train, validation and test;
2. `fit_imputation` on the training rows, then `impute` every part with those medians:
   CREDIT_SCORE by INCOME class, ANNUAL_MILEAGE by household (MARRIED, CHILDREN);
3. `encode`: ordinal codes for the ordered bands, 0/1 integer one-hot columns for the
   nominal ones, the label first and the ID dropped;
4. `to_training_csv` writes the headerless, label-first CSV that SageMaker's built-in
   XGBoost reads, and `check_training_csv` finds the usual mistakes in such a file.

The one-hot columns come from the declared category sets, never from the values
present, so a small file missing a category still gets the same columns.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from sagelab.data.loader import DatasetError, validate_claims
from sagelab.data.schema import ID_COLUMN, LABEL, SCHEMA, Column, Kind
from sagelab.data.training_csv import (
    CsvProblem,
    TrainingCsvError,
    TrainingCsvSummary,
    check_training_csv,
)

logger = logging.getLogger(__name__)

SPLIT_FRACTIONS = (0.70, 0.15, 0.15)
CREDIT_SCORE_GROUPS = ("INCOME",)
ANNUAL_MILEAGE_GROUPS = ("MARRIED", "CHILDREN")


def _one_hot_name(column: Column, category: str | int) -> str:
    return f"{column.name}_{str(category).replace(' ', '_')}"


def _encoded_names(column: Column) -> list[str]:
    if column.kind is Kind.NOMINAL:
        return [_one_hot_name(column, category) for category in column.categories]
    return [column.name]


FEATURE_NAMES: tuple[str, ...] = tuple(
    name
    for column in SCHEMA
    if column.name not in (ID_COLUMN, LABEL)
    for name in _encoded_names(column)
)


@dataclass(frozen=True)
class GroupMedian:
    """Medians of one column per group, fitted on training rows, to fill its gaps."""

    column: str
    group_by: tuple[str, ...]
    by_group: pd.Series
    overall: float

    def fill(self, claims: pd.DataFrame) -> pd.Series:
        """Return the column with each gap filled by its group's median.

        A group the fitted rows never showed, or showed only with gaps, gets the
        overall median.
        """
        keys = claims[list(self.group_by)].astype(object).reset_index(drop=True)
        table = self.by_group.rename("_median").reset_index()
        medians = keys.merge(table, how="left", on=list(self.group_by))["_median"]
        medians.index = claims.index
        return claims[self.column].fillna(medians).fillna(self.overall)


def fit_group_median(claims: pd.DataFrame, column: str, group_by: tuple[str, ...]) -> GroupMedian:
    """Compute the median of `column` per group of `group_by` and overall, ignoring gaps."""
    overall = float(claims[column].median())
    if math.isnan(overall):
        raise DatasetError(
            f"column {column!r} has no values in the {len(claims)} rows used to fit the "
            "imputation, so there is no median to fill its gaps with. Use a file where at "
            "least some rows have a value.",
            source="<frame>",
            column=column,
        )
    keys = claims[list(group_by)].astype(object)
    by_group = claims[column].groupby([keys[name] for name in group_by]).median().dropna()
    return GroupMedian(column=column, group_by=group_by, by_group=by_group, overall=overall)


@dataclass(frozen=True)
class Imputation:
    """Group medians for CREDIT_SCORE (by INCOME) and ANNUAL_MILEAGE (by household)."""

    credit_score: GroupMedian
    annual_mileage: GroupMedian


def fit_imputation(claims: pd.DataFrame) -> Imputation:
    """Fit the group medians on `claims`, normally the training part only."""
    claims = validate_claims(claims, require_id=False)
    return Imputation(
        credit_score=fit_group_median(claims, "CREDIT_SCORE", CREDIT_SCORE_GROUPS),
        annual_mileage=fit_group_median(claims, "ANNUAL_MILEAGE", ANNUAL_MILEAGE_GROUPS),
    )


def impute(claims: pd.DataFrame, imputation: Imputation | None = None) -> pd.DataFrame:
    """Return a copy of `claims` with CREDIT_SCORE and ANNUAL_MILEAGE gaps filled.

    Without `imputation` the medians are fitted on `claims` itself. For a model, fit
    them on the training rows and pass them in, so validation and test rows do not
    leak into the training features.
    """
    claims = validate_claims(claims, require_id=False)
    if imputation is None:
        imputation = fit_imputation(claims)
    imputed = claims.copy()
    imputed["CREDIT_SCORE"] = imputation.credit_score.fill(claims)
    imputed["ANNUAL_MILEAGE"] = imputation.annual_mileage.fill(claims)
    return imputed


def drop_id(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` without the ID column, which carries no signal."""
    return frame.drop(columns=[ID_COLUMN], errors="ignore")


def _encode_column(series: pd.Series, column: Column) -> pd.DataFrame:
    if column.kind is Kind.ORDINAL:
        return pd.DataFrame({column.name: series.cat.codes.astype(np.int64)})
    if column.kind is Kind.NOMINAL:
        one_hot = {
            _one_hot_name(column, category): (series == category).astype(np.int64)
            for category in column.categories
        }
        return pd.DataFrame(one_hot)
    if column.kind is Kind.FLOAT:
        return pd.DataFrame({column.name: series.astype(np.float64)})
    return pd.DataFrame({column.name: series.astype(np.int64)})


def encode(claims: pd.DataFrame) -> pd.DataFrame:
    """Encode a claims frame as numbers only: OUTCOME first, then `FEATURE_NAMES`.

    Ordered bands (AGE, DRIVING_EXPERIENCE, EDUCATION, INCOME, VEHICLE_YEAR) become
    their rank, starting at 0. GENDER, RACE, POSTAL_CODE and VEHICLE_TYPE become one
    int64 0/1 column per declared category. The ID column, if present, is dropped.
    Gaps stay NaN: call `impute` first when the result must be complete.
    """
    claims = drop_id(validate_claims(claims, require_id=False))
    parts = [claims[[LABEL]].astype(np.int64)]
    for column in SCHEMA:
        if column.name not in (ID_COLUMN, LABEL):
            parts.append(_encode_column(claims[column.name], column))
    return pd.concat(parts, axis=1)


def split(
    frame: pd.DataFrame, seed: int, fractions: tuple[float, float, float] = SPLIT_FRACTIONS
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split rows into train, validation and test parts, stratified on OUTCOME.

    Each part keeps about the same share of claims as the whole frame. The same seed
    gives the same parts. Each part's index is reset to 0..n-1.
    """
    _check_fractions(fractions)
    labels = frame[LABEL]
    _check_splittable(labels)
    train_share, validation_share, test_share = fractions
    try:
        train, rest = train_test_split(
            frame, train_size=train_share, stratify=labels, random_state=seed
        )
        validation, test = train_test_split(
            rest,
            test_size=test_share / (validation_share + test_share),
            stratify=rest[LABEL],
            random_state=seed,
        )
    except ValueError as error:
        raise DatasetError(
            f"cannot split {len(frame)} rows into {fractions} stratified on {LABEL}: {error}. "
            "Use a file with more rows of each class.",
            source="<frame>",
            column=LABEL,
        ) from error
    return (
        train.reset_index(drop=True),
        validation.reset_index(drop=True),
        test.reset_index(drop=True),
    )


def _check_fractions(fractions: tuple[float, float, float]) -> None:
    if len(fractions) != 3 or min(fractions) <= 0 or not math.isclose(sum(fractions), 1.0):
        raise ValueError(
            f"fractions must be three positive shares of train, validation and test that "
            f"add up to 1, such as {SPLIT_FRACTIONS}, got {fractions!r}"
        )


def _check_splittable(labels: pd.Series) -> None:
    counts = labels.value_counts()
    for label in (0, 1):
        if counts.get(label, 0) < 3:
            raise DatasetError(
                f"{LABEL} has {counts.get(label, 0)} rows with the value {label}, but a "
                "stratified three-way split needs at least 3 of each class. Use a file with "
                "more rows of that class.",
                source="<frame>",
                column=LABEL,
                value=label,
            )


def to_training_csv(frame: pd.DataFrame) -> str:
    """Write an encoded frame as SageMaker XGBoost training CSV text.

    The label comes first, with no header and no index, and every cell is a number.
    Raises TrainingCsvError if the frame still has an ID column, text or boolean
    columns, or gaps, naming the columns and the step that fixes them.
    """
    problems = _frame_problems(frame)
    if problems:
        raise TrainingCsvError(problems)
    ordered = frame[[LABEL, *[name for name in frame.columns if name != LABEL]]]
    return ordered.to_csv(header=False, index=False, lineterminator="\n")


def _frame_problems(frame: pd.DataFrame) -> list[CsvProblem]:
    names = [str(name) for name in frame.columns]
    problems = []
    if LABEL not in names:
        problems.append(
            CsvProblem(
                "label-missing",
                f"the frame has no {LABEL} column, and SageMaker's XGBoost needs the label "
                "in column 0. Keep OUTCOME in the frame you write.",
            )
        )
    if ID_COLUMN in names:
        problems.append(
            CsvProblem(
                "id-column",
                f"the frame still has the {ID_COLUMN} column. An identifier carries no signal, "
                "and the model could memorise rows by it. Remove it with drop_id().",
            )
        )
    booleans = [name for name in names if pd.api.types.is_bool_dtype(frame[name])]
    if booleans:
        problems.append(
            CsvProblem(
                "boolean",
                f"columns {', '.join(booleans)} are True/False, which XGBoost cannot read. "
                "Convert them with .astype(int).",
            )
        )
    text = [
        name
        for name in names
        if name not in booleans and not pd.api.types.is_numeric_dtype(frame[name])
    ]
    if text:
        problems.append(
            CsvProblem(
                "not-numeric",
                f"columns {', '.join(text)} are not numbers. Encode them with encode().",
            )
        )
    gaps = [name for name in names if frame[name].isna().any()]
    if gaps:
        problems.append(
            CsvProblem(
                "missing-value",
                f"columns {', '.join(gaps)} have missing values. Fill them with impute() "
                "before encoding.",
            )
        )
    return problems


@dataclass(frozen=True)
class PreparedData:
    """Encoded train, validation and test frames: OUTCOME first, then the features."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    feature_names: list[str]
    imputation: Imputation
    seed: int
    label: str = LABEL


def prepare_all(claims: pd.DataFrame, seed: int) -> PreparedData:
    """Split, impute (medians from the training part) and encode the claims in one call."""
    claims = validate_claims(claims, require_id=False)
    train, validation, test = split(claims, seed)
    imputation = fit_imputation(train)
    encoded = [encode(impute(part, imputation)) for part in (train, validation, test)]
    logger.info(
        "prepared %d claims rows with seed %d: %d train, %d validation, %d test",
        len(claims),
        seed,
        *(len(part) for part in encoded),
    )
    return PreparedData(
        train=encoded[0],
        validation=encoded[1],
        test=encoded[2],
        feature_names=list(FEATURE_NAMES),
        imputation=imputation,
        seed=seed,
    )


__all__ = [
    "ANNUAL_MILEAGE_GROUPS",
    "CREDIT_SCORE_GROUPS",
    "FEATURE_NAMES",
    "SPLIT_FRACTIONS",
    "CsvProblem",
    "GroupMedian",
    "Imputation",
    "PreparedData",
    "TrainingCsvError",
    "TrainingCsvSummary",
    "check_training_csv",
    "drop_id",
    "encode",
    "fit_group_median",
    "fit_imputation",
    "impute",
    "prepare_all",
    "split",
    "to_training_csv",
]
