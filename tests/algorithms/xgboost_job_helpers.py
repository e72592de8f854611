"""Data helpers shared by the XGBoost algorithm tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

# A fixture that writes an /opt/ml-shaped job folder and returns its path.
JobBuilder = Callable[..., Path]


def binary_data(rows: int = 300, features: int = 4, seed: int = 0) -> np.ndarray:
    """Return rows of ``label, features...`` for a learnable binary problem."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=rows) > 0).astype(float)
    return np.column_stack([y, x])


def csv_text(table: np.ndarray) -> str:
    """Format a table as CSV without a header, as SageMaker expects."""
    return "".join(",".join(repr(float(v)) for v in row) + "\n" for row in table)
