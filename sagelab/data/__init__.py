"""Car-insurance claims data: seeded generator, bundled CSV, schema and loader.

The bundled CSV is synthetic: see DATA_CARD.md next to this file for how it is made and
how to use the public dataset (or any file with the same columns) instead.
"""

from sagelab.data.generate import (
    DEFAULT_ROWS,
    DEFAULT_SEED,
    MISSING_RATE,
    generate_claims,
    write_claims_csv,
)
from sagelab.data.loader import (
    DATA_ENV_VAR,
    DEFAULT_CSV_PATH,
    DatasetError,
    load_claims,
    resolve_claims_path,
    validate_claims,
)
from sagelab.data.schema import (
    AGE_BANDS,
    COLUMNS,
    EDUCATION_LEVELS,
    EXPERIENCE_BANDS,
    ID_COLUMN,
    INCOME_CLASSES,
    LABEL,
    POSTAL_CODES,
    SCHEMA,
    VEHICLE_YEARS,
    Column,
    Kind,
)

__all__ = [
    "AGE_BANDS",
    "COLUMNS",
    "DATA_ENV_VAR",
    "DEFAULT_CSV_PATH",
    "DEFAULT_ROWS",
    "DEFAULT_SEED",
    "EDUCATION_LEVELS",
    "EXPERIENCE_BANDS",
    "ID_COLUMN",
    "INCOME_CLASSES",
    "LABEL",
    "MISSING_RATE",
    "POSTAL_CODES",
    "SCHEMA",
    "VEHICLE_YEARS",
    "Column",
    "DatasetError",
    "Kind",
    "generate_claims",
    "load_claims",
    "resolve_claims_path",
    "validate_claims",
    "write_claims_csv",
]
