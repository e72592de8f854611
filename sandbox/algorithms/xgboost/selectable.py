"""Selectable inference output, enabled by the SAGEMAKER_INFERENCE_OUTPUT variable.

The variable lists keys among predicted_label, labels, probability,
probabilities, raw_score, raw_scores and predicted_score. Keys that do not apply
to the model's objective are returned as NaN.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from sandbox.algorithms.xgboost import recordio

PREDICTED_LABEL = "predicted_label"
LABELS = "labels"
PROBABILITY = "probability"
PROBABILITIES = "probabilities"
RAW_SCORE = "raw_score"
RAW_SCORES = "raw_scores"
PREDICTED_SCORE = "predicted_score"
KEY_ORDER = (
    PREDICTED_LABEL,
    LABELS,
    PROBABILITY,
    PROBABILITIES,
    RAW_SCORE,
    RAW_SCORES,
    PREDICTED_SCORE,
)

_CLASSIFICATION = (PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES)
_SCORES_ONLY = (PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES)
VALID_KEYS: Mapping[str, tuple[str, ...]] = {
    "reg:squarederror": (PREDICTED_SCORE,),
    "reg:logistic": (PREDICTED_SCORE,),
    "reg:gamma": (PREDICTED_SCORE,),
    "reg:tweedie": (PREDICTED_SCORE,),
    "binary:logistic": _CLASSIFICATION,
    "binary:logitraw": _SCORES_ONLY,
    "binary:hinge": _SCORES_ONLY,
    "multi:softmax": _SCORES_ONLY,
    "multi:softprob": _CLASSIFICATION,
}


def selected_keys(environment: Mapping[str, str]) -> list[str] | None:
    """Return the requested keys, or None when selectable output is off."""
    value = environment.get("SAGEMAKER_INFERENCE_OUTPUT")
    if value is None:
        return None
    return value.replace(" ", "").lower().split(",")


def _value(key: str, objective: str, raw: np.ndarray, num_class: str) -> Any:
    multi_probabilities = objective == "multi:softprob"
    if key == PREDICTED_LABEL:
        if multi_probabilities:
            return int(np.argmax(raw))
        if objective == "binary:logistic":
            return int(raw > 0.5)
        if objective == "binary:logitraw":
            return int(raw > 0)
        return raw.item()
    if key == LABELS:
        if objective.startswith("binary:"):
            return [0, 1]
        return list(range(int(num_class))) if num_class else math.nan
    if key in (PROBABILITY, RAW_SCORE) and multi_probabilities:
        return max(raw).item()
    if key in (PROBABILITIES, RAW_SCORES) and multi_probabilities:
        return raw.tolist()
    if key in (PROBABILITY, RAW_SCORE, PREDICTED_SCORE):
        return raw.item()
    positive = raw.item()
    return [1.0 - positive, positive]


def select(
    predictions: np.ndarray, keys: list[str], objective: str, num_class: str
) -> list[dict[str, Any]]:
    """Build one dictionary of the requested keys per prediction."""
    if objective not in VALID_KEYS:
        raise ValueError(
            f"Objective `{objective}` unsupported for selectable inference predictions."
        )
    valid = [key for key in KEY_ORDER if key in keys and key in VALID_KEYS[objective]]
    invalid = sorted(set(keys) - set(VALID_KEYS[objective]))
    selected = []
    for raw in predictions:
        output = {key: _value(key, objective, np.asarray(raw), num_class) for key in valid}
        output.update({key: math.nan for key in invalid})
        selected.append(output)
    return selected


def _csv(selected: list[dict[str, Any]], keys: list[str]) -> str:
    lines = []
    for output in selected:
        fields = [
            f'"{output[key]}"' if isinstance(output[key], list) else str(output[key])
            for key in keys
        ]
        lines.append(",".join(fields))
    return "\n".join(lines)


def _recordio(selected: list[dict[str, Any]]) -> bytes:
    stream = b""
    for output in selected:
        label = {
            key: value if isinstance(value, list) else [value] for key, value in output.items()
        }
        stream += recordio.frame(recordio.encode_record({}, label))
    return stream


def encode_selected(
    predictions: np.ndarray,
    keys: list[str],
    accept: str,
    objective: str,
    num_class: str,
    batch: bool,
) -> bytes:
    """Encode selected output as JSON, JSON Lines, CSV or RecordIO-protobuf."""
    selected = select(predictions, keys, objective, num_class)
    if accept == "application/json":
        return json.dumps({"predictions": selected}).encode("utf-8")
    if accept == "application/jsonlines":
        return "\n".join(json.dumps(output) for output in selected).encode("utf-8")
    if accept == "application/x-recordio-protobuf":
        return _recordio(selected)
    text = _csv(selected, keys)
    return (text + "\n" if batch else text).encode("utf-8")
