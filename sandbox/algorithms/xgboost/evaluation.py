"""Evaluation metrics that XGBoost lacks natively, computed as custom metrics.

The container computes these with scikit-learn on the transformed predictions
(probabilities for ``binary:logistic``, class scores for ``multi:softprob``).
``f1``, ``precision`` and ``recall`` use the binary average when every label is
0 or 1 and the macro average otherwise.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xgboost as xgb

ScoreFunction = Callable[[np.ndarray, np.ndarray], float]


def _sklearn_score(name: str) -> Callable[..., Any]:
    # Imported on first use: scikit-learn takes about a second of CPU to import,
    # and each worker process of a multi-host job pays for it otherwise.
    score: Callable[..., Any] = getattr(importlib.import_module("sklearn.metrics"), name)
    return score


def _class_labels(predictions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    if predictions.ndim > 1:
        return np.argmax(predictions, axis=1)
    if labels.size and labels.max() > 1:
        return np.rint(predictions)
    return (predictions > 0.5).astype(int)


def _average(labels: np.ndarray) -> str:
    return "binary" if set(np.unique(labels)) <= {0.0, 1.0} else "macro"


def _classification(score_name: str, average: str | None) -> ScoreFunction:
    def compute(predictions: np.ndarray, labels: np.ndarray) -> float:
        score = _sklearn_score(score_name)
        predicted = _class_labels(predictions, labels)
        if average is None:
            return float(score(labels, predicted))
        chosen = _average(labels) if average == "auto" else average
        return float(score(labels, predicted, average=chosen, zero_division=0))

    return compute


def _regression(score_name: str) -> ScoreFunction:
    def compute(predictions: np.ndarray, labels: np.ndarray) -> float:
        return float(_sklearn_score(score_name)(labels, predictions))

    return compute


CUSTOM_METRICS: dict[str, ScoreFunction] = {
    "accuracy": _classification("accuracy_score", None),
    "balanced_accuracy": _classification("balanced_accuracy_score", None),
    "f1": _classification("f1_score", "auto"),
    "f1_binary": _classification("f1_score", "binary"),
    "f1_macro": _classification("f1_score", "macro"),
    "precision": _classification("precision_score", "auto"),
    "precision_macro": _classification("precision_score", "macro"),
    "precision_micro": _classification("precision_score", "micro"),
    "recall": _classification("recall_score", "auto"),
    "recall_macro": _classification("recall_score", "macro"),
    "recall_micro": _classification("recall_score", "micro"),
    "mse": _regression("mean_squared_error"),
    "r2": _regression("r2_score"),
}


def split_metrics(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split metric names into (XGBoost native, custom), keeping their order."""
    native = [name for name in names if name not in CUSTOM_METRICS]
    custom = [name for name in names if name in CUSTOM_METRICS]
    return native, custom


def custom_metric_function(
    names: Sequence[str],
) -> Callable[[np.ndarray, xgb.DMatrix], list[tuple[str, float]]]:
    """Build the ``custom_metric`` callable for xgboost.train from metric names."""
    chosen = [(name, CUSTOM_METRICS[name]) for name in names]

    def evaluate(predictions: np.ndarray, dmatrix: xgb.DMatrix) -> list[tuple[str, float]]:
        labels = dmatrix.get_label()
        return [(name, compute(predictions, labels)) for name, compute in chosen]

    return evaluate
