"""Seeded generator of synthetic car-insurance claims with the public dataset's schema.

Every column is drawn from a small causal model, vectorised over all rows:

* age band -> driving experience (never more than the age allows), education, marriage;
* age and education -> income class -> credit score, vehicle ownership, vehicle year;
* marriage and children -> annual mileage;
* a hidden driver-risk trait -> speeding violations, DUIs, past accidents and the claim.

The claim (OUTCOME) follows a logistic model in which youth, inexperience, a low credit
score, mileage and earlier incidents raise the odds, while vehicle ownership and marriage
lower them. About 10 % of CREDIT_SCORE and of ANNUAL_MILEAGE are then blanked at random,
after the claim was drawn from the true values.
"""

from __future__ import annotations

import logging
import os
from typing import IO

import numpy as np
import pandas as pd

from sagelab.data.schema import COLUMNS, Kind, columns_of_kind

logger = logging.getLogger(__name__)

DEFAULT_ROWS = 10_000
DEFAULT_SEED = 2024
MISSING_RATE = 0.10

AGE_PROBABILITIES = np.array([0.20, 0.31, 0.29, 0.20])

# Rows: age band. Columns: experience band. A 16-25 driver has at most 9 years of
# experience, a 26-39 driver at most 19 and a 40-64 driver at most 29, so the table
# is zero above its diagonal.
EXPERIENCE_GIVEN_AGE = np.array(
    [
        [1.00, 0.00, 0.00, 0.00],
        [0.40, 0.60, 0.00, 0.00],
        [0.15, 0.45, 0.40, 0.00],
        [0.08, 0.22, 0.30, 0.40],
    ]
)

EDUCATION_GIVEN_AGE = np.array(
    [
        [0.30, 0.50, 0.20],
        [0.15, 0.40, 0.45],
        [0.17, 0.40, 0.43],
        [0.22, 0.42, 0.36],
    ]
)

# Income is an ordered-logit draw: a latent score cut at these points gives about
# 18 % poverty, 17 % working class, 21 % middle class and 44 % upper class.
INCOME_EDUCATION_EFFECT = np.array([0.0, 0.7, 1.4])
INCOME_AGE_EFFECT = np.array([-0.6, 0.2, 0.5, 0.3])
INCOME_CUTPOINTS = np.array([-0.15, 0.52, 1.16])

CREDIT_MEAN_BY_INCOME = np.array([0.34, 0.45, 0.53, 0.61])
CREDIT_AGE_EFFECT = np.array([-0.04, 0.0, 0.02, 0.03])
CREDIT_NOISE = 0.085

# In the order of schema.POSTAL_CODES: 10238, 21217, 32765, 92101.
POSTAL_PROBABILITIES = np.array([0.694, 0.012, 0.246, 0.048])

# Log-odds of OUTCOME = 1. Arrays are indexed by the category code of their column.
OUTCOME_INTERCEPT = -1.80
OUTCOME_AGE_EFFECT = np.array([0.9, 0.3, 0.0, 0.1])
OUTCOME_EXPERIENCE_EFFECT = np.array([1.9, 0.6, 0.0, -0.4])
OUTCOME_INCOME_EFFECT = np.array([0.2, 0.1, 0.0, -0.1])
OUTCOME_POSTAL_EFFECT = np.array([0.0, 0.6, 0.5, 0.3])


def _draw_categories(rng: np.random.Generator, probabilities: np.ndarray, rows: int) -> np.ndarray:
    return rng.choice(len(probabilities), size=rows, p=probabilities)


def _draw_conditional(
    rng: np.random.Generator, condition: np.ndarray, table: np.ndarray
) -> np.ndarray:
    """Draw one category code per row from the table row selected by `condition`."""
    cumulative = np.cumsum(table, axis=1)[condition]
    uniform = rng.random(len(condition))[:, None]
    codes = (uniform >= cumulative).sum(axis=1)
    return np.minimum(codes, table.shape[1] - 1)


def _bernoulli(rng: np.random.Generator, probability: np.ndarray | float, rows: int) -> np.ndarray:
    return (rng.random(rows) < probability).astype(np.int64)


def _sigmoid(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-log_odds))


def _draw_person(rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    age = _draw_categories(rng, AGE_PROBABILITIES, rows)
    male = _bernoulli(rng, 0.5, rows)
    minority = _bernoulli(rng, 0.10, rows)
    experience = _draw_conditional(rng, age, EXPERIENCE_GIVEN_AGE)
    education = _draw_conditional(rng, age, EDUCATION_GIVEN_AGE)

    latent_income = (
        INCOME_EDUCATION_EFFECT[education] + INCOME_AGE_EFFECT[age] + rng.standard_normal(rows)
    )
    income = np.searchsorted(INCOME_CUTPOINTS, latent_income)

    credit = (
        CREDIT_MEAN_BY_INCOME[income]
        + CREDIT_AGE_EFFECT[age]
        + CREDIT_NOISE * rng.standard_normal(rows)
    )
    credit = np.round(np.clip(credit, 0.03, 0.97), 6)

    married = _bernoulli(rng, np.array([0.18, 0.50, 0.62, 0.60])[age], rows)
    children_probability = np.array([0.30, 0.65, 0.75, 0.80])[age] + 0.12 * married
    children = _bernoulli(rng, children_probability, rows)

    return {
        "AGE": age,
        "GENDER": male,
        "RACE": minority,
        "DRIVING_EXPERIENCE": experience,
        "EDUCATION": education,
        "INCOME": income,
        "CREDIT_SCORE": credit,
        "MARRIED": married,
        "CHILDREN": children,
    }


def _draw_vehicle(rng: np.random.Generator, person: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    age, income = person["AGE"], person["INCOME"]
    rows = len(age)

    ownership_log_odds = (
        0.75 + np.array([-1.0, -0.4, 0.3, 0.9])[income] + np.array([-1.2, 0.0, 0.4, 0.6])[age]
    )
    ownership = _bernoulli(rng, _sigmoid(ownership_log_odds), rows)

    after_2015_log_odds = -0.95 + np.array([-0.6, -0.3, 0.0, 0.5])[income]
    vehicle_year = _bernoulli(rng, _sigmoid(after_2015_log_odds), rows)

    sports_log_odds = -3.3 + 0.8 * (age == 0) + 0.5 * (income == 3)
    sports_car = _bernoulli(rng, _sigmoid(sports_log_odds), rows)

    postal = _draw_categories(rng, POSTAL_PROBABILITIES, rows)

    miles = (
        13_000.0
        - 1_500.0 * person["MARRIED"]
        - 1_300.0 * person["CHILDREN"]
        + np.array([0.0, 200.0, 0.0, -900.0])[age]
        + 2_000.0 * rng.standard_normal(rows)
    )
    mileage = np.clip(np.round(miles, -3), 2_000.0, 22_000.0)

    return {
        "VEHICLE_OWNERSHIP": ownership,
        "VEHICLE_YEAR": vehicle_year,
        "POSTAL_CODE": postal,
        "ANNUAL_MILEAGE": mileage,
        "VEHICLE_TYPE": sports_car,
    }


def _draw_record(
    rng: np.random.Generator, person: dict[str, np.ndarray], risk: np.ndarray
) -> dict[str, np.ndarray]:
    """Draw past incidents: they pile up with years on the road and with the risk trait."""
    experience, male = person["DRIVING_EXPERIENCE"], person["GENDER"]
    speeding_rate = np.exp(-0.70 + 0.45 * experience + 0.35 * male + 0.80 * risk)
    dui_rate = np.exp(-2.0 + 0.35 * experience + 0.40 * male + 0.50 * risk)
    accident_rate = np.exp(-0.6 + 0.40 * experience + 0.10 * male + 0.60 * risk)
    return {
        "SPEEDING_VIOLATIONS": rng.poisson(speeding_rate),
        "DUIS": rng.poisson(dui_rate),
        "PAST_ACCIDENTS": rng.poisson(accident_rate),
    }


def _outcome_log_odds(values: dict[str, np.ndarray], risk: np.ndarray) -> np.ndarray:
    return (
        OUTCOME_INTERCEPT
        + OUTCOME_AGE_EFFECT[values["AGE"]]
        + OUTCOME_EXPERIENCE_EFFECT[values["DRIVING_EXPERIENCE"]]
        + OUTCOME_INCOME_EFFECT[values["INCOME"]]
        + OUTCOME_POSTAL_EFFECT[values["POSTAL_CODE"]]
        - 4.0 * (values["CREDIT_SCORE"] - 0.5)
        + 0.12 * (values["ANNUAL_MILEAGE"] - 11_000.0) / 1_000.0
        + 0.12 * values["SPEEDING_VIOLATIONS"]
        + 0.35 * values["DUIS"]
        + 0.25 * values["PAST_ACCIDENTS"]
        + 0.6 * risk
        - 1.5 * values["VEHICLE_OWNERSHIP"]
        - 0.5 * values["MARRIED"]
        - 0.15 * values["CHILDREN"]
        - 0.4 * values["VEHICLE_YEAR"]
        + 0.25 * values["GENDER"]
        + 0.3 * values["VEHICLE_TYPE"]
    )


def _blank_at_random(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    blanked = values.astype(np.float64)
    blanked[rng.random(len(values)) < MISSING_RATE] = np.nan
    return blanked


def _assemble_frame(values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Turn the category codes into the declared categoricals, in schema column order."""
    frame: dict[str, object] = {}
    for column in (*columns_of_kind(Kind.ORDINAL), *columns_of_kind(Kind.NOMINAL)):
        frame[column.name] = pd.Categorical.from_codes(
            values[column.name],
            categories=pd.Index(column.categories),
            ordered=column.kind is Kind.ORDINAL,
        )
    for column in (*columns_of_kind(Kind.FLAG), *columns_of_kind(Kind.COUNT)):
        frame[column.name] = values[column.name].astype(np.int64)
    for column in (*columns_of_kind(Kind.ID), *columns_of_kind(Kind.FLOAT)):
        frame[column.name] = values[column.name]
    return pd.DataFrame(frame, columns=list(COLUMNS))


def _check_arguments(rows: int, seed: int) -> None:
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
        raise ValueError(f"rows must be a positive integer, got {rows!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def generate_claims(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Generate `rows` synthetic policyholders. The same seed gives the same frame.

    The frame has the dtypes that `load_claims` returns: ordered categoricals for the
    ordinal columns, unordered categoricals for the nominal ones, int64 for flags,
    counts and ID, and float64 with NaN for CREDIT_SCORE and ANNUAL_MILEAGE.
    """
    _check_arguments(rows, seed)
    rng = np.random.default_rng(seed)

    values = _draw_person(rng, rows)
    values.update(_draw_vehicle(rng, values))
    risk = rng.standard_normal(rows)
    values.update(_draw_record(rng, values, risk))

    claim_probability = _sigmoid(_outcome_log_odds(values, risk))
    values["OUTCOME"] = _bernoulli(rng, claim_probability, rows)

    values["CREDIT_SCORE"] = _blank_at_random(rng, values["CREDIT_SCORE"])
    values["ANNUAL_MILEAGE"] = _blank_at_random(rng, values["ANNUAL_MILEAGE"])
    id_space = max(1_000_000, 2 * rows)
    values["ID"] = rng.choice(id_space, size=rows, replace=False).astype(np.int64)

    logger.debug("generated %d claims rows with seed %d", rows, seed)
    return _assemble_frame(values)


def write_claims_csv(frame: pd.DataFrame, path: str | os.PathLike[str] | IO[str]) -> None:
    """Write a claims frame in the public file's layout, byte-stable for a given frame.

    The 0/1 flags and OUTCOME are written as floats (``1.0``), as in the public file, and
    missing values as empty cells. Floats are written with Python's shortest round-trip
    representation and lines end with ``\\n`` on every platform.
    """
    on_disk = frame.copy()
    for column in columns_of_kind(Kind.FLAG):
        on_disk[column.name] = on_disk[column.name].astype(np.float64)
    on_disk.to_csv(path, index=False, lineterminator="\n")


__all__ = ["DEFAULT_ROWS", "DEFAULT_SEED", "MISSING_RATE", "generate_claims", "write_claims_csv"]
