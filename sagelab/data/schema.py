"""Column schema of the car-insurance claims dataset.

The generator, the loader and the feature pipeline all read the column order, the
category sets and the value kinds from here, so a user's file is checked against
the same declaration that produced the bundled one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    """Value kind of a column, which decides how it is parsed and encoded."""

    ID = "id"
    ORDINAL = "ordinal"
    NOMINAL = "nominal"
    FLAG = "flag"
    FLOAT = "float"
    COUNT = "count"


@dataclass(frozen=True)
class Column:
    """Declaration of one column: its kind, allowed values and meaning."""

    name: str
    kind: Kind
    meaning: str
    categories: tuple[str, ...] | tuple[int, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False


AGE_BANDS = ("16-25", "26-39", "40-64", "65+")
EXPERIENCE_BANDS = ("0-9y", "10-19y", "20-29y", "30y+")
EDUCATION_LEVELS = ("none", "high school", "university")
INCOME_CLASSES = ("poverty", "working class", "middle class", "upper class")
VEHICLE_YEARS = ("before 2015", "after 2015")
POSTAL_CODES = (10238, 21217, 32765, 92101)

LABEL = "OUTCOME"
ID_COLUMN = "ID"

SCHEMA: tuple[Column, ...] = (
    Column("ID", Kind.ID, "Policy identifier, random and meaningless."),
    Column("AGE", Kind.ORDINAL, "Age band of the policyholder.", AGE_BANDS),
    Column("GENDER", Kind.NOMINAL, "Gender of the policyholder.", ("female", "male")),
    Column("RACE", Kind.NOMINAL, "Majority or minority group.", ("majority", "minority")),
    Column(
        "DRIVING_EXPERIENCE",
        Kind.ORDINAL,
        "Years since the driving licence was issued, in bands.",
        EXPERIENCE_BANDS,
    ),
    Column("EDUCATION", Kind.ORDINAL, "Highest education level.", EDUCATION_LEVELS),
    Column("INCOME", Kind.ORDINAL, "Income class.", INCOME_CLASSES),
    Column(
        "CREDIT_SCORE",
        Kind.FLOAT,
        "Credit score scaled to 0..1, where higher is better.",
        minimum=0.0,
        maximum=1.0,
        nullable=True,
    ),
    Column("VEHICLE_OWNERSHIP", Kind.FLAG, "1 if the policyholder owns the vehicle."),
    Column("VEHICLE_YEAR", Kind.ORDINAL, "Model year of the vehicle.", VEHICLE_YEARS),
    Column("MARRIED", Kind.FLAG, "1 if married."),
    Column("CHILDREN", Kind.FLAG, "1 if the policyholder has children."),
    Column("POSTAL_CODE", Kind.NOMINAL, "US zip code of the address.", POSTAL_CODES),
    Column(
        "ANNUAL_MILEAGE",
        Kind.FLOAT,
        "Miles driven per year, in whole thousands.",
        minimum=0.0,
        nullable=True,
    ),
    Column("VEHICLE_TYPE", Kind.NOMINAL, "Body type of the vehicle.", ("sedan", "sports car")),
    Column("SPEEDING_VIOLATIONS", Kind.COUNT, "Speeding tickets on record.", minimum=0),
    Column("DUIS", Kind.COUNT, "Convictions for driving under the influence.", minimum=0),
    Column("PAST_ACCIDENTS", Kind.COUNT, "Accidents on record before the policy year.", minimum=0),
    Column(LABEL, Kind.FLAG, "Label: 1 if the policyholder made a claim in the policy year."),
)

COLUMNS: tuple[str, ...] = tuple(column.name for column in SCHEMA)
COLUMNS_BY_NAME: dict[str, Column] = {column.name: column for column in SCHEMA}


def columns_of_kind(kind: Kind) -> tuple[Column, ...]:
    """Return the declared columns of one kind, in file order."""
    return tuple(column for column in SCHEMA if column.kind is kind)
